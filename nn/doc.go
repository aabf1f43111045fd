// Package nn is a pure-Go interpreter for the TensorFlow.js graph models Parley ships (face
// detection, facial expression and landmarks). It parses model.json and its weight shards (float32, float16,
// uint8 and uint16 quantised), plans the graph once for a fixed input shape (execution order,
// shapes, buffers reused as soon as their last reader has run, residual additions folded into the
// convolution before them) and then runs without allocating. Convolutions are matrix products
// (im2col where needed) over weights packed in 16-column panels; on amd64 with AVX2 and FMA the
// inner kernels are Go assembly, elsewhere (WebAssembly included) plain Go. No cgo.
//
// It also installs the pinned model files: see Install, ModelDir and models.sha256.
package nn
