// genface.js writes perception/face/testdata/human.golden.json: @vladmandic/human's face steps
// computed by @tensorflow/tfjs 4.22.0 (cpu backend) on frames the Go test writes
// (PARLEY_FACE_GOLDEN_DUMP=DIR go test -run DumpGolden ./perception/face): tf.image.cropAndResize
// of human's box to facemesh's 192x192 input (divided by 255), facemesh's landmarks, human's
// emotion input (resizeBilinear to 64x64, grey weights 0.2989/0.5870/0.1140, (g − 0.5)·2) and the
// expression model's output, and a half-pixel bilinear resize of a 48x48 grey crop to 64x64. Large
// arrays keep every n-th value (the key says n).
// Usage: node genface.js MODELDIR DUMPDIR OUTFILE
const fs = require('fs');
const path = require('path');
const { tf, loadModel } = require('./common');

const f32 = (t) => Buffer.from(t.dataSync().buffer).toString('base64');
// every stride-th value, to keep the golden file small
const every = (t, stride) => Buffer.from(Float32Array.from(t.dataSync().filter((_, i) => i % stride === 0)).buffer).toString('base64');

(async () => {
  const [modelDir, dump, out] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const mesh = await loadModel(modelDir, 'facemesh');
  const emotion = await loadModel(modelDir, 'emotion');
  const spec = JSON.parse(fs.readFileSync(path.join(dump, 'cases.json'), 'utf8'));
  const { width: w, height: h } = spec;
  const cases = [];
  for (const c of spec.cases.sort((a, b) => a.name.localeCompare(b.name))) {
    const rgba = fs.readFileSync(path.join(dump, c.name + '.rgba'));
    const rgb = new Float32Array(w * h * 3);
    for (let i = 0; i < w * h; i++) for (let k = 0; k < 3; k++) rgb[3 * i + k] = rgba[4 * i + k];
    const img = tf.tensor4d(rgb, [1, h, w, 3]);
    const [x0, y0, x1, y1] = c.box;
    // human: facemeshutil.ts cutAndResize
    const crop = tf.image.cropAndResize(img, [[y0 / h, x0 / w, y1 / h, x1 / w]], [0], [192, 192]);
    const meshInput = tf.div(crop, 255);
    const outs = mesh.execute(meshInput);
    const meshT = outs.find((t) => t.shape[t.shape.length - 1] === 1404);
    // human: gear/emotion.ts predict
    const resize = tf.image.resizeBilinear(meshInput, [64, 64], false);
    const grey = tf.sum(tf.mul(resize, tf.tensor1d([0.2989, 0.5870, 0.1140])), 3, true);
    const emotionInput = tf.mul(tf.sub(grey, 0.5), 2);
    const emo = emotion.execute(emotionInput);
    const g48 = fs.readFileSync(path.join(dump, c.name + '.grey48'));
    const grey48 = tf.tensor4d(new Float32Array(g48.buffer, g48.byteOffset, 48 * 48), [1, 48, 48, 1]);
    const half = tf.image.resizeBilinear(grey48, [64, 64], false, true);
    cases.push({ name: c.name, box: c.box, arrays: { meshInput101: every(meshInput, 101), mesh: f32(meshT), emotionInput3: every(emotionInput, 3), emotion: f32(emo), grey48: f32(grey48), halfPixel64_5: every(half, 5) } });
    console.log(c.name, 'emotion', Array.from(emo.dataSync()).map((v) => v.toFixed(3)).join(' '));
  }
  fs.writeFileSync(out, JSON.stringify({ generator: 'tfjs ' + tf.version.tfjs + ' cpu (bench/nn/genface.js)', cases }));
})();
