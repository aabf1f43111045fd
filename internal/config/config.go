// Package config loads Parley's settings: embedded defaults, then a YAML file (unknown keys are an
// error), then environment variables and flags, then Validate.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/parleyhq/parley/media"
)

// Config is every setting of a Parley server.
type Config struct {
	Addr        string `yaml:"addr"`
	DataDir     string `yaml:"data_dir"`
	ModelDir    string `yaml:"model_dir"`
	PacksDir    string `yaml:"packs_dir"` // empty: the embedded demo packs
	DefaultPack string `yaml:"default_pack"`
	// APIKey, when set, is required as a Bearer token on /v1/ requests.
	APIKey string       `yaml:"api_key"`
	Limits media.Limits `yaml:"limits"`
	Store  Store        `yaml:"store"`
	Queue  Queue        `yaml:"queue"`
	// Stages lists the perception stages to run; empty runs every registered stage that is available.
	Stages       []string                     `yaml:"stages"`
	StageOptions map[string]map[string]string `yaml:"stage_options"`
	Cloud        Cloud                        `yaml:"cloud"`
	Speech       Speech                       `yaml:"speech"`
	// Webhooks maps an action's webhook name (bank_core) to the URL its actions are posted to.
	Webhooks map[string]string `yaml:"webhooks"`
	// VideoFPS is how many frames per second of an uploaded video perception looks at.
	VideoFPS float64 `yaml:"video_fps"`
	// TurnTimeout bounds one message's processing.
	TurnTimeout time.Duration `yaml:"turn_timeout"`
	// OpenAI configures Parley's own OpenAI-compatible endpoint.
	OpenAI OpenAI `yaml:"openai"`
	// EdgeDir holds the edge WebAssembly the web chat loads (make build writes bin/edge).
	EdgeDir string `yaml:"edge_dir"`
	// Tenants holds each tenant's media retention and allowed packs (tenants.go).
	Tenants Tenants `yaml:"tenants"`
	// Hardening holds log, guard (request limits) and cors, at the top level (guard.go).
	Hardening `yaml:",inline"`
}

// OpenAI configures POST /v1/chat/completions, where applications written against the OpenAI
// SDKs talk to a Parley agent.
type OpenAI struct {
	// ImageURLHosts lists the hosts whose http(s) image_url parts Parley fetches; empty refuses
	// every URL (data URLs are always accepted).
	ImageURLHosts []string `yaml:"image_url_hosts"`
}

// Store selects the storage backend.
type Store struct {
	Driver string `yaml:"driver"` // sqlite or postgres
	DSN    string `yaml:"dsn"`
	// Blobs is where attachments live: fs (data_dir/blobs) or postgres (in the database, shared
	// by every node); empty means postgres with the postgres driver, fs otherwise.
	Blobs string `yaml:"blobs"`
}

// Queue selects the job queue that carries actions to their webhooks and, with the nats driver,
// perception jobs to `parley worker` processes.
type Queue struct {
	Driver string `yaml:"driver"` // memory or nats
	URL    string `yaml:"url"`    // nats://host:4222 for the nats driver
	// Stages names the perception stages run as jobs by workers (nats driver only), e.g.
	// [image.check, audio.asr]; empty runs every stage in the node.
	Stages []string `yaml:"stages"`
	// MinBytes keeps parts smaller than this in the node (a short voice note).
	MinBytes int `yaml:"min_bytes"`
	// Wait is how long a node waits for a worker's result before reading the part itself.
	Wait time.Duration `yaml:"wait"`
	// AckWait is how long a job may run before it is handed to another worker (a worker that
	// died mid-job); default 5m.
	AckWait time.Duration `yaml:"ack_wait"`
}

// Cloud configures the optional OpenAI-compatible model for open questions.
type Cloud struct {
	BaseURL   string `yaml:"base_url"`
	Model     string `yaml:"model"`
	APIKeyEnv string `yaml:"api_key_env"`
	// Budget is the number of cloud calls allowed per minute.
	Budget int `yaml:"budget"`
	// Deadline bounds one cloud answer; past it the local answer stands (default 800ms).
	Deadline time.Duration `yaml:"deadline"`
	// BreakAfter consecutive failures open the circuit breaker for Cooldown.
	BreakAfter int           `yaml:"break_after"`
	Cooldown   time.Duration `yaml:"cooldown"`
	// Calls, Tokens and Money bound one conversation's cloud use; Money counts PricePerKToken
	// per thousand tokens.
	Calls          int     `yaml:"calls_per_conversation"`
	Tokens         int     `yaml:"tokens_per_conversation"`
	Money          float64 `yaml:"money_per_conversation"`
	PricePerKToken float64 `yaml:"price_per_k_token"`
	// Stream asks the endpoint for server-sent chunks.
	Stream bool `yaml:"stream"`
}

// Speech configures spoken replies.
type Speech struct {
	// Reply says when replies carry speech audio: voice (when the customer spoke), always or never.
	Reply string `yaml:"reply"`
	Voice string `yaml:"voice"`
	// VAD chooses how live calls tell speech from noise: energy, silero or both (speech when
	// either hears it); empty takes both when Silero is installed (parley models install) and
	// energy otherwise.
	VAD string `yaml:"vad"`
}

// Default returns the embedded defaults.
func Default() Config {
	return Config{
		Addr:        ":8080",
		DataDir:     "data",
		ModelDir:    "",
		DefaultPack: "bank",
		Limits:      media.DefaultLimits(),
		Store:       Store{Driver: "sqlite"},
		Queue:       Queue{Driver: "memory"},
		Cloud:       Cloud{APIKeyEnv: "PARLEY_CLOUD_API_KEY", Budget: 30, Deadline: 800 * time.Millisecond, BreakAfter: 3, Cooldown: 30 * time.Second, Calls: 20, Tokens: 50000},
		Speech:      Speech{Reply: "voice", Voice: "en-us"},
		VideoFPS:    2,
		TurnTimeout: 60 * time.Second,
		EdgeDir:     "bin/edge",
		Hardening:   DefaultHardening(),
	}
}

// Load returns the defaults overlaid with the file at path (when not empty) and the environment.
func Load(path string) (Config, error) {
	c := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	c.applyEnv(os.LookupEnv)
	return c, nil
}

func (c *Config) applyEnv(lookup func(string) (string, bool)) {
	str := func(key string, dst *string) {
		if v, ok := lookup(key); ok && v != "" {
			*dst = v
		}
	}
	str("PARLEY_ADDR", &c.Addr)
	str("PARLEY_DATA", &c.DataDir)
	str("PARLEY_MODELS", &c.ModelDir)
	str("PARLEY_PACKS", &c.PacksDir)
	str("PARLEY_DEFAULT_PACK", &c.DefaultPack)
	str("PARLEY_API_KEY", &c.APIKey)
	str("PARLEY_STORE_DRIVER", &c.Store.Driver)
	str("PARLEY_STORE_DSN", &c.Store.DSN)
	str("PARLEY_STORE_BLOBS", &c.Store.Blobs)
	str("PARLEY_QUEUE_DRIVER", &c.Queue.Driver)
	str("PARLEY_QUEUE_URL", &c.Queue.URL)
	if v, ok := lookup("PARLEY_QUEUE_STAGES"); ok {
		c.Queue.Stages = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
	}
	str("PARLEY_CLOUD_BASE_URL", &c.Cloud.BaseURL)
	str("PARLEY_CLOUD_MODEL", &c.Cloud.Model)
	str("PARLEY_SPEECH_REPLY", &c.Speech.Reply)
	str("PARLEY_VAD", &c.Speech.VAD)
	str("PARLEY_EDGE_DIR", &c.EdgeDir)
	c.Hardening.applyEnv(lookup)
	if v, ok := lookup("PARLEY_VIDEO_FPS"); ok {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			c.VideoFPS = f
		}
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("addr is empty"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is empty"))
	}
	switch c.Store.Driver {
	case "sqlite":
	case "postgres":
		if c.Store.DSN == "" {
			errs = append(errs, errors.New("store.dsn is required for the postgres driver"))
		}
	default:
		errs = append(errs, fmt.Errorf("store.driver %q: want sqlite or postgres", c.Store.Driver))
	}
	switch c.Store.Blobs {
	case "", "fs":
	case "postgres":
		if c.Store.Driver != "postgres" {
			errs = append(errs, errors.New("store.blobs postgres needs store.driver postgres"))
		}
	default:
		errs = append(errs, fmt.Errorf("store.blobs %q: want fs or postgres", c.Store.Blobs))
	}
	switch c.Queue.Driver {
	case "memory":
	case "nats":
		if c.Queue.URL == "" {
			errs = append(errs, errors.New("queue.url is required for the nats driver"))
		}
	default:
		errs = append(errs, fmt.Errorf("queue.driver %q: want memory or nats", c.Queue.Driver))
	}
	if len(c.Queue.Stages) > 0 && c.Queue.Driver != "nats" {
		errs = append(errs, errors.New("queue.stages needs queue.driver: nats (workers read from the shared queue)"))
	}
	if c.Queue.MinBytes < 0 || c.Queue.Wait < 0 || c.Queue.AckWait < 0 {
		errs = append(errs, errors.New("queue.min_bytes, queue.wait and queue.ack_wait must not be negative"))
	}
	l := c.Limits
	if l.ImageBytes <= 0 || l.AudioBytes <= 0 || l.VideoBytes <= 0 || l.MaxPixels <= 0 {
		errs = append(errs, errors.New("limits must be positive"))
	}
	switch c.Speech.Reply {
	case "voice", "always", "never":
	default:
		errs = append(errs, fmt.Errorf("speech.reply %q: want voice, always or never", c.Speech.Reply))
	}
	switch c.Speech.VAD {
	case "", "energy", "silero", "both":
	default:
		errs = append(errs, fmt.Errorf("speech.vad %q: want energy, silero or both", c.Speech.VAD))
	}
	if c.Cloud.BaseURL != "" {
		if u, err := url.Parse(c.Cloud.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("cloud.base_url %q is not an http(s) URL", c.Cloud.BaseURL))
		}
		if c.Cloud.Model == "" {
			errs = append(errs, errors.New("cloud.model is required with cloud.base_url"))
		}
	}
	for name, u := range c.Webhooks {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") {
			errs = append(errs, fmt.Errorf("webhooks.%s %q is not an http(s) URL", name, u))
		}
	}
	if c.VideoFPS <= 0 || c.VideoFPS > 30 {
		errs = append(errs, fmt.Errorf("video_fps %v: want 0 < fps <= 30", c.VideoFPS))
	}
	errs = append(errs, c.Hardening.validate()...)
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}
