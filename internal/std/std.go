// Package std links the standard perception stages into a binary. Each stage package registers
// itself with perception.Register; this package imports them all, one file per capability.
package std
