// Microphone capture as 16 kHz 16-bit mono PCM, WAV encoding and reply playback.

/** TARGET_RATE is the sample rate the server's recogniser wants. */
export const TARGET_RATE = 16000;

/**
 * openMic asks for the microphone with browser audio processing turned off: echo cancellation and
 * noise suppression distort speech for the recogniser.
 */
export async function openMic() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new Error('This browser cannot record audio here (a secure https:// or localhost page is needed).');
  }
  return navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
}

/** stopStream ends every track of a media stream. */
export function stopStream(stream) {
  if (stream) for (const t of stream.getTracks()) t.stop();
}

/**
 * PCMCapture pulls a MediaStream through the pcm-capture worklet and calls onChunk(Int16Array, peak)
 * with ~40 ms chunks at `rate` Hz (16 kHz unless the device is slower).
 */
export class PCMCapture {
  constructor(stream, onChunk) {
    this.stream = stream;
    this.onChunk = onChunk;
    this.rate = TARGET_RATE;
  }

  async start() {
    const ctx = new AudioContext();
    this.ctx = ctx;
    const src = ctx.createMediaStreamSource(this.stream);
    this.rate = Math.min(TARGET_RATE, ctx.sampleRate);
    if (ctx.audioWorklet) {
      await ctx.audioWorklet.addModule(new URL('./pcm-worklet.js', import.meta.url));
      const node = new AudioWorkletNode(ctx, 'pcm-capture', {
        numberOfInputs: 1, numberOfOutputs: 0, processorOptions: { targetRate: TARGET_RATE },
      });
      node.port.onmessage = (e) => this.onChunk(new Int16Array(e.data.pcm), e.data.peak);
      src.connect(node);
      this.node = node;
    } else {
      this.node = this.scriptProcessor(ctx, src);
    }
    if (ctx.state === 'suspended') await ctx.resume();
  }

  // scriptProcessor is the fallback for browsers without AudioWorklet.
  scriptProcessor(ctx, src) {
    const node = ctx.createScriptProcessor(4096, 1, 1);
    const ratio = Math.max(1, ctx.sampleRate / TARGET_RATE);
    let pos = 0, sum = 0, count = 0;
    node.onaudioprocess = (e) => {
      const x = e.inputBuffer.getChannelData(0);
      const out = new Int16Array(Math.ceil(x.length / ratio) + 1);
      let n = 0, peak = 0;
      for (let i = 0; i < x.length; i++) {
        sum += x[i]; count++; pos += 1;
        if (pos >= ratio) {
          pos -= ratio;
          const v = Math.max(-1, Math.min(1, sum / count));
          sum = 0; count = 0;
          peak = Math.max(peak, Math.abs(v));
          out[n++] = v < 0 ? v * 0x8000 : v * 0x7fff;
        }
      }
      this.onChunk(out.subarray(0, n), peak);
    };
    src.connect(node);
    node.connect(ctx.destination);
    return node;
  }

  /** stop flushes the last partial chunk and releases the audio graph and the microphone. */
  async stop() {
    if (this.node && this.node.port) {
      const flushed = new Promise((resolve) => {
        const prev = this.node.port.onmessage;
        this.node.port.onmessage = (e) => { prev(e); resolve(); };
        setTimeout(resolve, 200);
      });
      this.node.port.postMessage('flush');
      await flushed;
    }
    if (this.node) this.node.disconnect();
    stopStream(this.stream);
    if (this.ctx) await this.ctx.close().catch(() => {});
  }
}

/** encodeWAV packs Int16Array chunks into a 16-bit mono PCM WAV Blob. */
export function encodeWAV(chunks, rate) {
  const samples = chunks.reduce((n, c) => n + c.length, 0);
  const buf = new ArrayBuffer(44 + samples * 2);
  const v = new DataView(buf);
  const str = (o, s) => { for (let i = 0; i < s.length; i++) v.setUint8(o + i, s.charCodeAt(i)); };
  str(0, 'RIFF'); v.setUint32(4, 36 + samples * 2, true); str(8, 'WAVE');
  str(12, 'fmt '); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
  v.setUint32(24, rate, true); v.setUint32(28, rate * 2, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true);
  str(36, 'data'); v.setUint32(40, samples * 2, true);
  let o = 44;
  for (const c of chunks) for (let i = 0; i < c.length; i++, o += 2) v.setInt16(o, c[i], true);
  return new Blob([buf], { type: 'audio/wav' });
}

/**
 * Player plays reply audio one clip at a time. stop() cuts the current clip (barge-in); onDone is
 * called when a clip ends or is stopped.
 */
export class Player {
  constructor(onDone) {
    this.onDone = onDone;
    this.audio = null;
  }

  get playing() { return !!this.audio; }

  play(url) {
    this.stop(false);
    const a = new Audio(url);
    this.audio = a;
    const done = () => { if (this.audio === a) { this.audio = null; this.onDone && this.onDone(); } };
    a.addEventListener('ended', done);
    a.addEventListener('error', done);
    return a.play().catch(done);
  }

  stop(notify = true) {
    const a = this.audio;
    if (!a) return;
    this.audio = null;
    a.pause();
    if (notify && this.onDone) this.onDone();
  }
}
