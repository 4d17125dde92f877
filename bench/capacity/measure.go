package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// measureRedis measures Redis's CPU per published message per subscribed connection: a fresh
// redis-server on a free loopback port, n connections subscribed to one channel (each a node
// watching a tournament), messages of a commit's size published one at a time by 4 publishers
// (as commits arrive), Redis's own CPU (INFO cpu) over the publishing divided by the messages.
// The slope between 1 and 32 subscribers is the input; the intercept is the publish itself.
func measureRedis(w io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir, err := os.MkdirTemp("", "capacity-redis")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server (apt-get install redis-server): %w", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), PoolSize: 8})
	defer rdb.Close()
	for i := 0; rdb.Ping(ctx).Err() != nil; i++ {
		if i > 100 {
			return fmt.Errorf("redis-server on port %d did not answer", port)
		}
		time.Sleep(50 * time.Millisecond)
	}
	payload := strings.Repeat("x", 600) // a commit's message: header, events and fields
	const messages = 20000
	per := map[int]float64{}
	for _, n := range []int{1, 32} {
		cost, err := publishCost(ctx, rdb, n, messages, payload)
		if err != nil {
			return err
		}
		per[n] = cost
		fmt.Fprintf(w, "%2d subscribers: %.2f µs of Redis CPU per published message\n", n, cost)
	}
	slope := (per[32] - per[1]) / 31
	fmt.Fprintf(w, "per subscriber: %.3f µs (redis_cpu_per_subscriber_message_us); the publish itself: %.2f µs\n", slope, per[1]-slope)
	return nil
}

// publishCost subscribes n connections to one channel, publishes messages, waits until every
// subscriber has them all, and returns Redis's CPU per message in µs.
func publishCost(ctx context.Context, rdb *redis.Client, n, messages int, payload string) (float64, error) {
	ch := "capacity:" + strconv.Itoa(n)
	var got sync.WaitGroup
	var subs []*redis.PubSub
	defer func() {
		for _, ps := range subs {
			ps.Close()
		}
	}()
	for range n {
		ps := rdb.Subscribe(ctx, ch)
		if _, err := ps.Receive(ctx); err != nil { // the confirmation
			return 0, err
		}
		subs = append(subs, ps)
		got.Add(1)
		go func() {
			defer got.Done()
			for range messages {
				if _, err := ps.ReceiveMessage(ctx); err != nil {
					return
				}
			}
		}()
	}
	before, err := redisCPU(ctx, rdb)
	if err != nil {
		return 0, err
	}
	var pub sync.WaitGroup
	const publishers = 4
	for p := range publishers {
		pub.Add(1)
		go func() {
			defer pub.Done()
			for i := p; i < messages; i += publishers {
				rdb.Publish(ctx, ch, payload)
			}
		}()
	}
	pub.Wait()
	got.Wait()
	after, err := redisCPU(ctx, rdb)
	if err != nil {
		return 0, err
	}
	return (after - before) * 1e6 / float64(messages), nil
}

// redisCPU is Redis's CPU time so far, in seconds (INFO cpu: used_cpu_sys + used_cpu_user).
func redisCPU(ctx context.Context, rdb *redis.Client) (float64, error) {
	info, err := rdb.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, err
	}
	total := 0.0
	for _, line := range strings.Split(info, "\n") {
		for _, k := range []string{"used_cpu_sys:", "used_cpu_user:"} {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), k); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return 0, err
				}
				total += f
			}
		}
	}
	return total, nil
}
