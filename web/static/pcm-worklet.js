// pcm-capture: an AudioWorklet processor that turns microphone audio into 16-bit mono PCM at a target
// rate (16 kHz by default). It low-passes by averaging the input samples that fall into each output
// sample (a box filter), which is enough for speech recognition and cheap on phones.
class PCMCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const target = (options.processorOptions && options.processorOptions.targetRate) || 16000;
    this.ratio = Math.max(1, sampleRate / target); // never upsample
    this.chunk = Math.round((sampleRate / this.ratio) * 0.04); // 40 ms per message
    this.out = new Int16Array(this.chunk);
    this.n = 0;
    this.pos = 0;
    this.sum = 0;
    this.count = 0;
    this.peak = 0;
    this.port.onmessage = (e) => { if (e.data === 'flush') this.flush(); };
  }

  flush() {
    if (this.n === 0) return;
    const buf = this.out.slice(0, this.n).buffer;
    this.port.postMessage({ pcm: buf, peak: this.peak }, [buf]);
    this.n = 0;
    this.peak = 0;
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const ch = input[0];
    const chans = input.length;
    for (let i = 0; i < ch.length; i++) {
      let s = ch[i];
      if (chans > 1) { for (let c = 1; c < chans; c++) s += input[c][i]; s /= chans; }
      this.sum += s;
      this.count++;
      this.pos += 1;
      if (this.pos >= this.ratio) {
        this.pos -= this.ratio;
        let v = this.sum / this.count;
        this.sum = 0;
        this.count = 0;
        v = v < -1 ? -1 : v > 1 ? 1 : v;
        const a = v < 0 ? -v : v;
        if (a > this.peak) this.peak = a;
        this.out[this.n++] = v < 0 ? v * 0x8000 : v * 0x7fff;
        if (this.n === this.chunk) this.flush();
      }
    }
    return true;
  }
}

registerProcessor('pcm-capture', PCMCapture);
