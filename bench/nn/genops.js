// genops.js writes small graph models that exercise single ops (nn/testdata/ops/<op>.json and
// .bin) and their outputs from @tensorflow/tfjs 4.22.0 (cpu backend) for the deterministic test
// input (<op>.golden.json), so each op the interpreter adds is checked against tfjs on its own.
// Usage: node genops.js OUTDIR
const fs = require('fs');
const path = require('path');
const { tf, testInput } = require('./common');

const b64 = (s) => Buffer.from(s).toString('base64');
const ints = (a) => ({ list: { i: a.map(String) } });
const shapeAttr = (s) => ({ shape: { dim: s.map((d) => ({ size: String(d) })) } });

// values makes a deterministic float32 weight of n values in about [-scale, scale].
function values(n, seed, scale) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (((i * 7919 + seed * 104729) % 1000) / 500 - 1) * scale;
  return out;
}

// prelu: a standalone Prelu with a per-channel alpha, a Prelu with one alpha for all channels,
// and a convolution whose residual sum feeds a Prelu (the pattern the planner fuses).
function prelu() {
  const C = 5;
  const weights = [
    ['alpha', [C], values(C, 1, 0.4)],
    ['alpha1', [1], Float32Array.from([0.15])],
    ['w', [3, 3, C, C], values(9 * C * C, 2, 0.3)],
    ['b', [C], values(C, 3, 0.2)],
    ['alpha2', [1, 1, C], values(C, 4, 0.5)],
  ];
  const node = [
    { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: shapeAttr([-1, 6, 7, C]) } },
    ...weights.map(([name]) => ({ name, op: 'Const', attr: {} })),
    { name: 'p0', op: 'Prelu', input: ['x', 'alpha'] },
    { name: 'p1', op: 'Prelu', input: ['x', 'alpha1'] },
    { name: 'conv', op: '_FusedConv2D', input: ['x', 'w', 'b'], attr: { strides: ints([1, 1, 1, 1]), padding: { s: b64('SAME') }, num_args: { i: '1' }, fused_ops: { list: { s: [b64('BiasAdd')] } }, dilations: ints([1, 1, 1, 1]) } },
    { name: 'sum', op: 'AddV2', input: ['x', 'conv'] },
    { name: 'p2', op: 'Prelu', input: ['sum', 'alpha2'] },
  ];
  return { name: 'prelu', input: [1, 6, 7, C], node, weights };
}

// layout: DepthToSpace, ResizeBilinear (half-pixel centres, aligned corners, neither), ConcatV2
// along channels and rows, and the Shape → StridedSlice → Pack → Reshape chain converted models
// use to flatten a head (the planner folds it to a constant shape).
function layout() {
  const C = 8;
  const i32 = (v) => Int32Array.from(v);
  const weights = [
    ['w1', [1, 1, C, 3], values(C * 3, 5, 0.5)],
    ['size1', [2], i32([7, 9])],
    ['size2', [2], i32([3, 5])],
    ['size3', [2], i32([8, 12])],
    ['size4', [2], i32([5, 6])],
    ['axisC', [], i32([-1])],
    ['axis1', [], i32([1])],
    ['begin', [1], i32([0])],
    ['end', [1], i32([1])],
    ['strides', [1], i32([1])],
    ['minus1', [], i32([-1])],
    ['two', [], i32([2])],
  ];
  const node = [
    { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: shapeAttr([-1, 4, 6, C]) } },
    ...weights.map(([name]) => ({ name, op: 'Const', attr: {} })),
    { name: 'd2s', op: 'DepthToSpace', input: ['x'], attr: { block_size: { i: '2' }, data_format: { s: b64('NHWC') } } },
    { name: 'rHalf', op: 'ResizeBilinear', input: ['x', 'size1'], attr: { half_pixel_centers: { b: true }, align_corners: { b: false } } },
    { name: 'rAlign', op: 'ResizeBilinear', input: ['x', 'size2'], attr: { half_pixel_centers: { b: false }, align_corners: { b: true } } },
    { name: 'rPlain', op: 'ResizeBilinear', input: ['x', 'size3'], attr: { half_pixel_centers: { b: false }, align_corners: { b: false } } },
    { name: 'c3', op: 'Conv2D', input: ['x', 'w1'], attr: { strides: ints([1, 1, 1, 1]), padding: { s: b64('VALID') }, dilations: ints([1, 1, 1, 1]) } },
    { name: 'catC', op: 'ConcatV2', input: ['x', 'c3', 'axisC'], attr: { N: { i: '2' } } },
    { name: 'rRows', op: 'ResizeBilinear', input: ['x', 'size4'], attr: { half_pixel_centers: { b: true }, align_corners: { b: false } } },
    { name: 'catRows', op: 'ConcatV2', input: ['x', 'rRows', 'axis1'], attr: { N: { i: '2' } } },
    { name: 'shape', op: 'Shape', input: ['d2s'], attr: {} },
    { name: 'batch', op: 'StridedSlice', input: ['shape', 'begin', 'end', 'strides'], attr: { begin_mask: { i: '0' }, end_mask: { i: '0' }, shrink_axis_mask: { i: '1' }, ellipsis_mask: { i: '0' }, new_axis_mask: { i: '0' } } },
    { name: 'target', op: 'Pack', input: ['batch', 'minus1', 'two'], attr: { N: { i: '3' }, axis: { i: '0' } } },
    { name: 'flat', op: 'Reshape', input: ['d2s', 'target'], attr: {} },
  ];
  return { name: 'layout', input: [1, 4, 6, C], node, weights };
}

(async () => {
  const out = process.argv[2];
  await tf.setBackend('cpu');
  for (const spec of [prelu(), layout()]) {
    const bin = Buffer.concat(spec.weights.map(([, , v]) => Buffer.from(v.buffer)));
    const manifest = [{ paths: [spec.name + '.bin'], weights: spec.weights.map(([name, shape, v]) => ({ name, shape, dtype: v instanceof Int32Array ? 'int32' : 'float32' })) }];
    const json = { format: 'graph-model', generatedBy: 'bench/nn/genops.js', modelTopology: { node: spec.node, versions: { producer: 1 } }, weightsManifest: manifest };
    fs.writeFileSync(path.join(out, spec.name + '.json'), JSON.stringify(json));
    fs.writeFileSync(path.join(out, spec.name + '.bin'), bin);
    const model = await tf.loadGraphModel({ load: async () => ({ modelTopology: json.modelTopology, weightSpecs: manifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), format: 'graph-model' }) });
    const names = model.outputNodes.slice().sort();
    let ys = model.execute(tf.tensor(testInput(spec.input), spec.input), names);
    if (!Array.isArray(ys)) ys = [ys];
    const outputs = {};
    names.forEach((n, i) => { outputs[n] = { shape: ys[i].shape, data: Buffer.from(ys[i].dataSync().buffer).toString('base64') }; });
    fs.writeFileSync(path.join(out, spec.name + '.golden.json'), JSON.stringify({ generator: 'tfjs ' + tf.version.tfjs + ' cpu', input: spec.input, outputs }, null, 1));
    console.log(spec.name, names.join(', '));
  }
})();
