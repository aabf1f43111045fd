package nn

// panel is the width of a packed column panel of the right-hand matrix.
const panel = 16

// packB repacks a row-major [k][n] matrix into column panels of width 16, each [k][16] with zeros
// past n, so the kernel reads B sequentially.
func packB(b []float32, k, n int) []float32 {
	np := (n + panel - 1) / panel
	out := make([]float32, np*k*panel)
	for p := 0; p < np; p++ {
		for kk := 0; kk < k; kk++ {
			for j := 0; j < panel && p*panel+j < n; j++ {
				out[(p*k+kk)*panel+j] = b[kk*n+p*panel+j]
			}
		}
	}
	return out
}

// gemm computes c[m][n] = act(a[m][k] · b + bias) with b packed by packB.
func gemm(c, a []float32, m, k int, bp []float32, n int, ep *epilogue) {
	var tile [4 * panel]float32
	np := (n + panel - 1) / panel
	for p := 0; p < np; p++ {
		bpp := bp[p*k*panel : (p+1)*k*panel]
		c0 := p * panel
		cols := min(panel, n-c0)
		for r := 0; r < m; r += 4 {
			rows := min(4, m-r)
			if useAVX2 && rows == 4 && (ep.act <= actRelu6 || ep.act == actPrelu) {
				// bias, residual and activation are applied by the kernel (prelu afterwards, in
				// Go, over the finished rows); a full panel is written in place
				var res *float32
				if ep.res != nil {
					res = &ep.res[r*n+c0]
				}
				flags := int(ep.act)
				if ep.act == actPrelu {
					flags = int(actLinear)
				}
				if cols == panel {
					kernel4x16(&a[r*k], k, k, &bpp[0], &ep.biasPad[c0], &c[r*n+c0], n, flags, res)
					if ep.act == actPrelu {
						for i := 0; i < 4; i++ {
							prelu(c[(r+i)*n+c0:(r+i)*n+c0+panel], ep.alpha[c0:c0+panel])
						}
					}
					continue
				}
				if res != nil {
					// the residual is read with the output's stride; stage it as a tile
					for i := 0; i < rows; i++ {
						copy(tile[i*panel:i*panel+cols], ep.res[(r+i)*n+c0:])
						clear(tile[i*panel+cols : (i+1)*panel])
					}
					res = &tile[0]
				}
				kernel4x16(&a[r*k], k, k, &bpp[0], &ep.biasPad[c0], &tile[0], panel, flags, res)
				for i := 0; i < rows; i++ {
					dst := c[(r+i)*n+c0 : (r+i)*n+c0+cols]
					copy(dst, tile[i*panel:i*panel+cols])
					if ep.act == actPrelu {
						prelu(dst, ep.alpha[c0:c0+cols])
					}
				}
				continue
			}
			kernelRows(a[r*k:], k, rows, bpp, &tile)
			for i := 0; i < rows; i++ {
				dst := c[(r+i)*n+c0 : (r+i)*n+c0+cols]
				copy(dst, tile[i*panel:i*panel+cols])
				var res []float32
				if ep.res != nil {
					res = ep.res[(r+i)*n+c0:]
				}
				ep.applyRes(dst, ep.bias[c0:c0+cols], c0, res)
			}
		}
	}
}

// kernelRows computes rows (1..4) rows of a·b for one panel into tile, in plain Go.
func kernelRows(a []float32, k, rows int, bp []float32, tile *[4 * panel]float32) {
	for r := 0; r < rows; r++ {
		var acc [panel]float32
		ar := a[r*k : r*k+k]
		for kk, av := range ar {
			b := bp[kk*panel : kk*panel+panel : kk*panel+panel]
			acc[0] += av * b[0]
			acc[1] += av * b[1]
			acc[2] += av * b[2]
			acc[3] += av * b[3]
			acc[4] += av * b[4]
			acc[5] += av * b[5]
			acc[6] += av * b[6]
			acc[7] += av * b[7]
			acc[8] += av * b[8]
			acc[9] += av * b[9]
			acc[10] += av * b[10]
			acc[11] += av * b[11]
			acc[12] += av * b[12]
			acc[13] += av * b[13]
			acc[14] += av * b[14]
			acc[15] += av * b[15]
		}
		copy(tile[r*panel:], acc[:])
	}
}

// prelu applies x < 0 ? alpha·x : x to a run of channels in place.
func prelu(x, alpha []float32) {
	alpha = alpha[:len(x)]
	i := 0
	if useAVX2 && len(x) >= 8 {
		i = len(x) &^ 7
		prelu8(&x[0], &alpha[0], i)
	}
	for ; i < len(x); i++ {
		v := x[i]
		if v < 0 {
			x[i] = v * alpha[i]
		}
	}
}
