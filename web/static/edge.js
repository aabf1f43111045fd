// Parley edge: the server's pure-Go stages compiled to WebAssembly, run in the customer's browser.
// A check photo is judged here before upload: retake advice appears at once and an unreadable photo
// never leaves the device; a readable one goes up cropped and compressed (<= 300 KB). When the
// browser cannot run WebAssembly, or the server has no edge build, everything stays on the server path.
import { api } from './common.js';

let loading = null;
let manifest = null;
let faceLoading = null;

/**
 * mountFiles serves files (path -> Uint8Array) to the Go runtime's file calls: Go reads its models
 * with os.ReadFile, which in the browser goes through globalThis.fs (wasm_exec.js's stub otherwise).
 */
function mountFiles(files) {
  const fs = globalThis.fs;
  const open = new Map();
  let next = 100;
  const enoent = () => Object.assign(new Error('no such file'), { code: 'ENOENT' });
  const stat = (size) => ({ dev: 0, ino: 0, mode: 0o100444, nlink: 1, uid: 0, gid: 0, rdev: 0, size, blksize: 4096,
    blocks: Math.ceil(size / 512), atimeMs: 0, mtimeMs: 0, ctimeMs: 0, isDirectory: () => false });
  const prev = { open: fs.open, fstat: fs.fstat, stat: fs.stat, lstat: fs.lstat, read: fs.read, close: fs.close };
  fs.open = (path, flags, mode, cb) => {
    const data = files.get(path);
    if (!data) return prev.open.call(fs, path, flags, mode, cb);
    const fd = next++;
    open.set(fd, { data, pos: 0 });
    cb(null, fd);
  };
  fs.fstat = (fd, cb) => (open.has(fd) ? cb(null, stat(open.get(fd).data.length)) : prev.fstat.call(fs, fd, cb));
  fs.stat = (path, cb) => (files.has(path) ? cb(null, stat(files.get(path).length)) : cb(enoent()));
  fs.lstat = fs.stat;
  fs.read = (fd, buf, offset, length, position, cb) => {
    const f = open.get(fd);
    if (!f) return prev.read.call(fs, fd, buf, offset, length, position, cb);
    const at = position === null || position === undefined ? f.pos : position;
    const n = Math.max(0, Math.min(length, f.data.length - at));
    buf.set(f.data.subarray(at, at + n), offset);
    if (position === null || position === undefined) f.pos += n;
    cb(null, n);
  };
  fs.close = (fd, cb) => (open.delete(fd) ? cb(null) : prev.close.call(fs, fd, cb));
}

/** loadEdge resolves to the edge API (globalThis.parleyEdge) or null. */
export function loadEdge() {
  if (loading) return loading;
  loading = (async () => {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiateStreaming !== 'function') return null;
    try {
      const res = await fetch('/edge/manifest.json');
      if (!res.ok) return null;
      const m = await res.json();
      manifest = m;
      if (!globalThis.Go) {
        await new Promise((resolve, reject) => {
          const s = document.createElement('script');
          s.src = m.wasm_exec.url; s.onload = resolve; s.onerror = reject;
          document.head.append(s);
        });
      }
      const go = new globalThis.Go();
      const ready = new Promise((resolve) => { globalThis.parleyEdgeReady = resolve; });
      const { instance } = await WebAssembly.instantiateStreaming(fetch(m.parley.url), go.importObject);
      go.run(instance);
      return await ready;
    } catch (e) {
      console.warn('edge unavailable, using the server path', e);
      return null;
    }
  })();
  return loading;
}

/**
 * loadFace downloads the face models (about 1.2 MB, cached by hash) and readies on-device
 * expressions; it resolves to the edge API or null (the server path: frames go up).
 */
export function loadFace() {
  if (faceLoading) return faceLoading;
  faceLoading = (async () => {
    const edge = await loadEdge();
    if (!edge || !manifest || !manifest.face_models) return null;
    const files = new Map();
    // facemesh (landmark cues) comes along when the server has it
    const wanted = { ...manifest.face_models, ...(manifest.landmark_models || {}) };
    await Promise.all(Object.entries(wanted).map(async ([name, f]) => {
      const r = await fetch(f.url);
      if (!r.ok) throw new Error(name + ': ' + r.status);
      files.set('/models/' + name, new Uint8Array(await r.arrayBuffer()));
    }));
    mountFiles(files);
    const err = edge.loadFace('/models');
    if (err) { console.warn('on-device faces unavailable:', err); return null; }
    return edge;
  })().catch((e) => { console.warn('on-device faces unavailable', e); return null; });
  return faceLoading;
}

/**
 * judgeCheckPhotos runs the on-device check-photo judgement on the image files. It resolves to
 * {files} (readable photos replaced by their compressed crops) or {retake} (an instruction; nothing
 * is uploaded). Bytes sent and what the raw photos would have cost are reported to the server.
 */
export async function judgeCheckPhotos(files, conversationID) {
  const edge = await loadEdge();
  if (!edge) return { files };
  const out = [];
  const bytes = [];
  for (const f of files) {
    if (!f.type.startsWith('image/')) { out.push(f); continue; }
    const j = edge.judgePhoto(new Uint8Array(await f.arrayBuffer()));
    if (j.error) { out.push(f); continue; }
    if (!j.report.readable) return { retake: j.report.instruction || 'Please take the photo again.' };
    out.push(new File([j.upload], (f.name || 'check').replace(/\.[^.]*$/, '') + '.jpg', { type: 'image/jpeg' }));
    bytes.push({ kind: 'photo', sent: j.upload.length, raw: j.raw_bytes });
  }
  if (bytes.length && conversationID) {
    api('/v1/conversations/' + encodeURIComponent(conversationID) + '/edge', { method: 'POST', json: { bytes } }).catch(() => {});
  }
  return { files: out };
}

/**
 * faceReporter scores camera frames on the device and sends only the expression scores of the
 * largest face and its landmark cues when facemesh is loaded (when they changed, at most every
 * 3 s, else every 5 s) and a JPEG thumbnail of 96 pixels (its longer side) every 30 s, with the bytes sent against what the JPEG frames of the server path would
 * have cost: under 2 kbit/s against about 1.5 Mbit/s of 720p video. The report goes over the live
 * socket when `send` is given (else POST /edge); the server's answer says whether it still needs
 * the frames (raw_media.video), and frame(video) then returns false so the caller sends them too,
 * as it does when the device cannot score.
 */
export function faceReporter(edge, conversationID, { minEvery = 3000, every = 5000, thumbEvery = 30000, send = null } = {}) {
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const thumb = document.createElement('canvas');
  const started = performance.now();
  let lastScore = -Infinity, lastSent = -Infinity, lastThumb = -Infinity;
  let rawSince = 0, rawFrame = 0, lastRawAt = -Infinity;
  let sentScores = null;
  const state = { needVideo: false, reason: '', sent: 0, reports: 0 };
  const changed = (v) => !sentScores || Object.keys({ ...v, ...sentScores }).some((k) => Math.abs((v[k] || 0) - (sentScores[k] || 0)) >= 0.05);
  const reporter = {
    state,
    /** result takes the server's answer to a report. */
    result(r) {
      if (r && r.raw_media) { state.needVideo = !!r.raw_media.video; state.reason = r.raw_media.reason || ''; }
    },
    frame(video) {
      if (!video.videoWidth) return true;
      const scale = Math.min(1, 320 / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      g.drawImage(video, 0, 0, canvas.width, canvas.height);
      // what the server path would have sent for this frame, measured on one frame every 5 s
      const now = performance.now();
      if (now - lastRawAt >= 5000) {
        lastRawAt = now;
        rawFrame = Math.round(canvas.toDataURL('image/jpeg', 0.75).length * 3 / 4);
      }
      rawSince += rawFrame;
      if (now - lastScore < 1000) return !state.needVideo;
      lastScore = now;
      const faces = edge.expression(g.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height, now - started);
      if (!Array.isArray(faces)) return false;
      const f = faces[0];
      const value = f ? Object.fromEntries(Object.entries(f.expression).map(([k, v]) => [k, Math.round(v * 100) / 100]).filter(([, v]) => v > 0)) : null;
      const due = now - lastSent >= every || (now - lastSent >= minEvery && (value ? changed(value) : sentScores !== null));
      if (!due) return !state.needVideo;
      lastSent = now;
      sentScores = value;
      const at = Math.round(now - started);
      const conf = f ? Math.round(Math.min(1, f.score) * 100) / 100 : 0;
      const report = { observations: f ? [{ kind: 'emotion', confidence: conf, value, offset_ms: at }] : [] };
      if (f && f.cues) {
        // the landmark cues: confusion and frustration, and the cues that moved
        const cues = Object.fromEntries(Object.entries(f.cues).map(([k, v]) => [k, Math.round(v * 100) / 100])
          .filter(([k, v]) => v > 0 || k === 'confusion' || k === 'frustration'));
        const cue = { kind: 'affect_cue', confidence: conf, value: cues, offset_ms: at };
        if (f.cue_text) cue.text = f.cue_text;
        report.observations.push(cue);
      }
      if (now - lastThumb >= thumbEvery) {
        lastThumb = now;
        const k = 96 / Math.max(canvas.width, canvas.height);
        thumb.width = Math.round(canvas.width * k);
        thumb.height = Math.round(canvas.height * k);
        thumb.getContext('2d').drawImage(canvas, 0, 0, thumb.width, thumb.height);
        report.thumbnail = thumb.toDataURL('image/jpeg', 0.4).split(',')[1];
      }
      report.bytes = [{ kind: 'video', sent: 0, raw: rawSince }];
      report.bytes[0].sent = JSON.stringify(report).length;
      rawSince = 0;
      state.reports++;
      if (send) {
        state.sent += send({ type: 'edge', report });
      } else {
        state.sent += report.bytes[0].sent;
        api('/v1/conversations/' + encodeURIComponent(conversationID) + '/edge', { method: 'POST', json: report }).then((r) => reporter.result(r)).catch(() => {});
      }
      return !state.needVideo;
    },
  };
  return reporter;
}

/**
 * speechSender detects speech on the device in a live call: feed it the microphone's chunks and
 * it sends only the speech segments up the socket (binary, 16-bit PCM), never the silence, with
 * each segment's prosody (pitch, loudness, rate, agitation) as scores in an edge report. A short
 * sound while a reply plays (a cough, "mm-hm") stays on the device; only its prosody goes up.
 * It returns null when the device cannot detect speech (the caller then streams the audio).
 */
export function speechSender(edge, rate, { sendBinary, sendJSON, playing = () => false, onSegment = () => {}, onBargeIn = () => {} }) {
  if (!edge || typeof edge.speechStart !== 'function') return null;
  edge.speechStart(rate);
  const started = performance.now();
  let rawSince = 0, sentSince = 0;
  const stats = { sent: 0, raw: 0, segments: 0, kept: 0 };
  const take = (res) => {
    if (!res || res.error) return;
    const observations = [];
    for (const seg of res.segments) {
      const ms = seg.end_ms - seg.start_ms;
      const keep = playing() && ms < 400;
      if (!keep) {
        sendBinary(seg.pcm);
        sentSince += seg.pcm.byteLength;
        stats.sent += seg.pcm.byteLength;
        stats.segments++;
      } else {
        stats.kept++;
      }
      onSegment(seg, !keep);
      if (seg.prosody) {
        observations.push({ kind: 'prosody', value: seg.prosody.value, confidence: Math.round(seg.prosody.confidence * 100) / 100,
          offset_ms: Math.round(performance.now() - started), uploaded: !keep });
      }
    }
    if (res.segments.length || final) report(observations);
  };
  const report = (observations) => {
    if (!observations.length && !rawSince) return;
    sendJSON({ type: 'edge', report: { observations, bytes: [{ kind: 'audio', sent: sentSince, raw: rawSince }] } });
    rawSince = 0;
    sentSince = 0;
  };
  let final = false;
  return {
    stats,
    write(pcm) {
      rawSince += pcm.byteLength;
      stats.raw += pcm.byteLength;
      const res = edge.speechWrite(pcm);
      // Barge-in on the device: enough speech over a playing reply stops it at once.
      if (res && res.speaking_ms >= 400 && playing()) onBargeIn();
      take(res);
    },
    /** flush sends the utterance still open and the byte counts not yet reported. */
    flush() { final = true; take(edge.speechFlush()); },
  };
}
