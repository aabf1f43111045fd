// Parley edge: the server's pure-Go stages compiled to WebAssembly, run in the customer's browser.
// A check photo is judged here before upload: retake advice appears at once and an unreadable photo
// never leaves the device; a readable one goes up cropped and compressed (<= 300 KB). When the
// browser cannot run WebAssembly, or the server has no edge build, everything stays on the server path.
import { api } from './common.js';

let loading = null;

/** loadEdge resolves to the edge API (globalThis.parleyEdge) or null. */
export function loadEdge() {
  if (loading) return loading;
  loading = (async () => {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiateStreaming !== 'function') return null;
    try {
      const res = await fetch('/edge/manifest.json');
      if (!res.ok) return null;
      const m = await res.json();
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
