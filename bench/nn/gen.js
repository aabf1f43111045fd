// gen.js writes nn/testdata/<model>.golden.json: the outputs of @tensorflow/tfjs 4.22.0 (cpu
// backend) for the deterministic test input. Usage: node gen.js MODELDIR OUTDIR
const fs = require('fs');
const path = require('path');
const { tf, loadModel, testInput, models } = require('./common');

(async () => {
  const [dir, out] = process.argv.slice(2);
  await tf.setBackend('cpu');
  for (const [name, shape] of Object.entries(models)) {
    const model = await loadModel(dir, name);
    const x = tf.tensor(testInput(shape), shape);
    const names = model.outputNodes.slice().sort();
    let ys = model.execute(x, names);
    if (!Array.isArray(ys)) ys = [ys];
    const outputs = {};
    names.forEach((n, i) => {
      // large outputs keep every stride-th value, so the golden files stay small
      const all = ys[i].dataSync();
      const stride = all.length > 16384 ? Math.ceil(all.length / 8192) : 1;
      const kept = stride === 1 ? all : Float32Array.from(all.filter((_, j) => j % stride === 0));
      outputs[n] = { shape: ys[i].shape, data: Buffer.from(kept.buffer).toString('base64') };
      if (stride > 1) outputs[n].stride = stride;
    });
    fs.writeFileSync(path.join(out, name + '.golden.json'), JSON.stringify({ generator: 'tfjs ' + tf.version.tfjs + ' cpu', input: shape, outputs }, null, 1));
    console.log(name, names.map((n, i) => n + ' ' + JSON.stringify(ys[i].shape)).join(', '));
  }
})();
