// bench.js times TensorFlow.js 4.22.0 (wasm backend, SIMD, one thread) on the same models and
// inputs as `go test -bench . ./nn` and prints both side by side.
// Usage: node bench.js MODELDIR [iterations]     (run from bench/nn after `npm install`)
const { execFileSync } = require('child_process');
const path = require('path');
const { tf, loadModel, testInput, models } = require('./common');
require('@tensorflow/tfjs-backend-wasm');
const wasm = require('@tensorflow/tfjs-backend-wasm');

async function timeTfjs(dir, iters) {
  wasm.setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  const out = {};
  for (const [name, shape] of Object.entries(models)) {
    const model = await loadModel(dir, name);
    const x = tf.tensor(testInput(shape), shape);
    for (let i = 0; i < 10; i++) tf.dispose(model.execute(x));
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (let i = 0; i < iters; i++) {
      const y = model.execute(x);
      (Array.isArray(y) ? y : [y]).forEach((t) => t.dataSync());
      tf.dispose(y);
    }
    const c = process.cpuUsage(c0);
    out[name] = { wall: Number(process.hrtime.bigint() - t0) / 1e6 / iters, cpu: (c.user + c.system) / 1e3 / iters };
  }
  return out;
}

function timeGo(iters) {
  const root = path.resolve(__dirname, '../..');
  const res = execFileSync('go', ['test', '-run', 'XXX', '-bench', '.', '-benchtime', iters + 'x', './nn'], {
    cwd: root, env: { ...process.env, GOMAXPROCS: '1' }, encoding: 'utf8',
  });
  const names = { BenchmarkEmotion: 'emotion', BenchmarkBlazefaceFront: 'blazeface-front', BenchmarkBlazefaceBack: 'blazeface', BenchmarkFacemesh: 'facemesh', BenchmarkBlazefaceFull: 'facemesh-detection-full' };
  const out = {};
  for (const m of res.matchAll(/^(Benchmark\w+)(?:-\d+)?\s+\d+\s+([\d.]+) ns\/op(?:\s+([\d.]+) cpu-ns\/op)?/gm)) {
    out[names[m[1]]] = { wall: Number(m[2]) / 1e6, cpu: Number(m[3] || m[2]) / 1e6 };
  }
  return out;
}

(async () => {
  const dir = process.argv[2] || path.resolve(__dirname, '../../models');
  const iters = Number(process.argv[3] || 200);
  const js = await timeTfjs(dir, iters);
  const go = timeGo(iters);
  console.log(`one core, ${iters} runs each, ms per inference (tfjs ${tf.version.tfjs}, wasm backend, SIMD: ${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')})`);
  console.log('CPU time per inference (wall time in brackets; wall time inflates when other processes share the cores)');
  console.log('model                    input            tfjs-wasm          parley nn     speed-up (cpu)');
  const f = (t) => `${t.cpu.toFixed(2)} (${t.wall.toFixed(2)})`.padStart(14);
  for (const [name, shape] of Object.entries(models)) {
    console.log(`${name.padEnd(24)} ${shape.slice(1).join('x').padEnd(12)} ${f(js[name])}  ${f(go[name])}  ${(js[name].cpu / go[name].cpu).toFixed(1).padStart(9)}x`);
  }
})();
