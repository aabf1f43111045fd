package server

import "github.com/parleyhq/parley/internal/config"

// Config returns the configuration the server was built with, for components wired around it
// (the live stream's voice activity setting and model directory).
func (s *Server) Config() config.Config { return s.cfg }
