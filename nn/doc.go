// Package nn is a pure-Go interpreter for the TensorFlow.js graph models Parley ships (face
// detection and facial expression). It parses model.json and its weight shards, plans buffers once,
// and runs the graph with im2col-free direct convolutions and a blocked matrix multiply, so it builds
// without cgo, also to WebAssembly. It also installs the pinned model files (see Install).
package nn
