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

// testInput fills n values in [-1, 1) from a multiplicative hash of the index (exact in float64).
function testInput(n) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const h = (i * 2654435761) % 4294967296;
    x[i] = (h / 4294967296) * 2 - 1;
  }
  return x;
}

const models = { 'blazeface-front': [1, 128, 128, 3], blazeface: [1, 256, 256, 3], emotion: [1, 64, 64, 1] };

module.exports = { tf, loadModel, testInput, models };
