package nn

// kernel4 computes four rows of a·b for one packed panel into tile.
var kernel4 = func(a []float32, k int, bp []float32, tile *[4 * panel]float32) {
	kernelRows(a, k, 4, bp, tile)
}
