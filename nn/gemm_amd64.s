#include "textflag.h"

// func kernel4x16(a *float32, lda, k int, bp, bias, c *float32, ldc, flags int, res *float32)
// Computes c[r][0:16] = act(bias[0:16] + res[r][0:16] + sum_k a[r*lda+k] * bp[k*16:k*16+16]) for
// r < 4 with AVX2 and FMA; res (nil for none) has the stride of c. flags: 1 relu, 2 relu6.
TEXT ·kernel4x16(SB), NOSPLIT, $0-72
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), R8
	MOVQ k+16(FP), CX
	MOVQ bp+24(FP), DI
	MOVQ bias+32(FP), AX
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R12
	MOVQ flags+56(FP), BX
	SHLQ $2, R8
	SHLQ $2, R12
	LEAQ (SI)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y1, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y1, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y1, Y7
	TESTQ CX, CX
	JZ   epilogue

loop:
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VBROADCASTSS (SI), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (R9), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (R10), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (R11), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         $4, SI
	ADDQ         $4, R9
	ADDQ         $4, R10
	ADDQ         $4, R11
	ADDQ         $64, DI
	DECQ         CX
	JNZ          loop

epilogue:
	MOVQ   res+64(FP), R13
	TESTQ  R13, R13
	JZ     activate
	VADDPS (R13), Y0, Y0
	VADDPS 32(R13), Y1, Y1
	ADDQ   R12, R13
	VADDPS (R13), Y2, Y2
	VADDPS 32(R13), Y3, Y3
	ADDQ   R12, R13
	VADDPS (R13), Y4, Y4
	VADDPS 32(R13), Y5, Y5
	ADDQ   R12, R13
	VADDPS (R13), Y6, Y6
	VADDPS 32(R13), Y7, Y7

activate:
	TESTQ  BX, BX
	JZ     store
	VXORPS Y14, Y14, Y14
	VMAXPS Y14, Y0, Y0
	VMAXPS Y14, Y1, Y1
	VMAXPS Y14, Y2, Y2
	VMAXPS Y14, Y3, Y3
	VMAXPS Y14, Y4, Y4
	VMAXPS Y14, Y5, Y5
	VMAXPS Y14, Y6, Y6
	VMAXPS Y14, Y7, Y7
	CMPQ   BX, $2
	JNE    store
	MOVL   $0x40c00000, R13 // 6.0
	MOVL   R13, X15
	VBROADCASTSS X15, Y15
	VMINPS Y15, Y0, Y0
	VMINPS Y15, Y1, Y1
	VMINPS Y15, Y2, Y2
	VMINPS Y15, Y3, Y3
	VMINPS Y15, Y4, Y4
	VMINPS Y15, Y5, Y5
	VMINPS Y15, Y6, Y6
	VMINPS Y15, Y7, Y7

store:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ    R12, DX
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, 32(DX)
	ADDQ    R12, DX
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ    R12, DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET

// func mulAdd8(o, x, y *float32, n int)
// o[i] += x[i]*y[i] for i < n, n a multiple of 8.
TEXT ·mulAdd8(SB), NOSPLIT, $0-32
	MOVQ o+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   done
madd:
	VMOVUPS     (DI), Y0
	VMOVUPS     (SI), Y1
	VFMADD231PS (DX), Y1, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, DI
	ADDQ        $32, SI
	ADDQ        $32, DX
	DECQ        CX
	JNZ         madd
done:
	VZEROUPPER
	RET

// func dwTaps(o, in *float32, taps *int, ntaps int, w *float32, c int, bias *float32, flags int)
// For channels ch < c (a multiple of 4): o[ch] = act(bias[ch] + sum_t in[taps[2t]+ch] * w[taps[2t+1]+ch]).
TEXT ·dwTaps(SB), NOSPLIT, $0-64
	MOVQ o+0(FP), DI
	MOVQ in+8(FP), SI
	MOVQ taps+16(FP), R8
	MOVQ ntaps+24(FP), R9
	MOVQ w+32(FP), R10
	MOVQ c+40(FP), CX
	MOVQ bias+48(FP), AX
	MOVQ flags+56(FP), BX
	MOVQ CX, R14
	SHRQ $3, CX
	VXORPS Y14, Y14, Y14
	TESTQ CX, CX
	JZ   dwquad

dwchan:
	VMOVUPS (AX), Y0
	VXORPS  Y1, Y1, Y1
	MOVQ    R8, R11
	MOVQ    R9, R12

dwtap:
	MOVQ        (R11), R13
	MOVQ        8(R11), DX
	VMOVUPS     (SI)(R13*4), Y2
	VFMADD231PS (R10)(DX*4), Y2, Y0
	ADDQ        $16, R11
	DECQ        R12
	JNZ         dwtap

	TESTQ   BX, BX
	JZ      dwstore
	VMAXPS  Y14, Y0, Y0

dwstore:
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, R10
	ADDQ    $32, AX
	DECQ    CX
	JNZ     dwchan

dwquad:
	// four more channels when c mod 8 >= 4
	TESTQ   $4, R14
	JZ      dwdone
	VMOVUPS (AX), X0
	MOVQ    R8, R11
	MOVQ    R9, R12

dwtap4:
	MOVQ        (R11), R13
	MOVQ        8(R11), DX
	VMOVUPS     (SI)(R13*4), X2
	VFMADD231PS (R10)(DX*4), X2, X0
	ADDQ        $16, R11
	DECQ        R12
	JNZ         dwtap4
	TESTQ       BX, BX
	JZ          dwstore4
	VMAXPS      X14, X0, X0

dwstore4:
	VMOVUPS X0, (DI)

dwdone:
	VZEROUPPER
	RET

// func prelu8(x, alpha *float32, n int)
// x[i] = max(x[i], 0) + alpha[i]*min(x[i], 0) for i < n, n a multiple of 8.
TEXT ·prelu8(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), DI
	MOVQ   alpha+8(FP), SI
	MOVQ   n+16(FP), CX
	SHRQ   $3, CX
	JZ     pdone
	VXORPS Y2, Y2, Y2
ploop:
	VMOVUPS     (DI), Y0
	VMINPS      Y2, Y0, Y1
	VMAXPS      Y2, Y0, Y0
	VFMADD231PS (SI), Y1, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, DI
	ADDQ        $32, SI
	DECQ        CX
	JNZ         ploop
pdone:
	VZEROUPPER
	RET
