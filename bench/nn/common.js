// Shared helpers: load a TF.js graph model from disk and build the deterministic test input that
// nn/golden_test.go builds the same way.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

async function loadModel(dir, name) {
  const file = path.join(dir, name + '.json');
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  const bufs = [];
  const weightSpecs = [];
  for (const g of j.weightsManifest) {
    for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
    weightSpecs.push(...g.weights);
  }
  const all = Buffer.concat(bufs);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tf.loadGraphModel({ load: async () => ({ modelTopology: j.modelTopology, weightSpecs, weightData, format: j.format }) });
}

// testInput fills an NHWC tensor with an image-like pattern in [-1, 1]: diagonal ramps with sharp
// edges, different per channel, plus a little hashed noise. Integer arithmetic keeps it exact.
function testInput(shape) {
  const [, h, w, c] = shape;
  const x = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      for (let ch = 0; ch < c; ch++) {
        const i = (y * w + xx) * c + ch;
        const ramp = (xx * 3 + y * 2 + ch * 50) % 256;
        const noise = ((i * 2654435761) % 4294967296) % 16;
        x[i] = (ramp + noise) / 135.5 - 1;
      }
    }
  }
  return x;
}

const models = { 'blazeface-front': [1, 128, 128, 3], blazeface: [1, 256, 256, 3], emotion: [1, 64, 64, 1], facemesh: [1, 192, 192, 3], 'facemesh-detection-full': [1, 192, 192, 3] };

module.exports = { tf, loadModel, testInput, models };
