//go:build !linux

package main

import (
	"context"
	"errors"
)

// runLoad needs the epoll load generator, which is Linux's.
func runLoad(context.Context, *benchFlags, string, progress) (*benchReport, error) {
	return nil, errors.New("fastws bench runs on Linux only: its load generator drives sockets with epoll")
}
