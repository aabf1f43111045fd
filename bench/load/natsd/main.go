// Command natsd runs a NATS server with JetStream (the same server as the nats-server package,
// embedded) for load runs on machines without one installed.
//
//	go run ./bench/load/natsd --addr 127.0.0.1:4222 --dir /tmp/js
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4222", "listen address")
	dir := flag.String("dir", "", "JetStream store directory (required)")
	flag.Parse()
	host, portStr, err := net.SplitHostPort(*addr)
	port, perr := strconv.Atoi(portStr)
	if err != nil || perr != nil || *dir == "" {
		fmt.Fprintln(os.Stderr, "natsd: want --addr host:port and --dir")
		os.Exit(2)
	}
	srv, err := server.NewServer(&server.Options{Host: host, Port: port, JetStream: true, StoreDir: *dir, NoSigs: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsd:", err)
		os.Exit(1)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		fmt.Fprintln(os.Stderr, "natsd: server did not start")
		os.Exit(1)
	}
	fmt.Println("natsd: ready at", srv.ClientURL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	srv.Shutdown()
	srv.WaitForShutdown()
}
