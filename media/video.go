package media

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// Video sampling bounds.
const (
	// DefaultVideoFPS is the frame rate ExpandVideo samples at when given none.
	DefaultVideoFPS = 2.0
	// MaxVideoFrames bounds the frames taken from one video; a longer video is sampled more sparsely.
	MaxVideoFrames = 120
	// MaxFrameWidth is the widest a sampled frame is; wider videos are scaled down.
	MaxFrameWidth = 640
	// maxFrameBytes bounds one encoded frame.
	maxFrameBytes = 512 << 10
)

// videoInfo is what ffprobe tells about an upload.
type videoInfo struct {
	Duration time.Duration
	Video    bool
	Audio    bool
	Width    int
	Height   int
}

// ExpandVideo decodes an MP4, WebM or MOV upload into the items perception reads: frames sampled
// at fps (DefaultVideoFPS when fps <= 0; spread out further so that at most MaxVideoFrames are
// taken), as JPEG image items of Modality video at most MaxFrameWidth pixels wide with Offset set,
// followed by the audio track, when there is one, as a 16 kHz mono WAV audio item of Modality
// video. It returns ErrEmpty for no data, ErrTooLarge past limits.VideoBytes or limits.MaxVideo,
// and ErrCorrupt for data ffmpeg cannot read.
func ExpandVideo(ctx context.Context, item Item, limits Limits, fps float64) ([]Item, error) {
	if len(item.Data) == 0 {
		return nil, ErrEmpty
	}
	if limits.VideoBytes > 0 && int64(len(item.Data)) > limits.VideoBytes {
		return nil, fmt.Errorf("%w: video is %d MB, over the limit of %d MB", ErrTooLarge, len(item.Data)>>20, limits.VideoBytes>>20)
	}
	if fps <= 0 || math.IsNaN(fps) || math.IsInf(fps, 0) {
		fps = DefaultVideoFPS
	}
	// MP4 and MOV keep their index at the end more often than not, so ffmpeg needs a seekable file.
	f, err := os.CreateTemp("", "parley-video-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	_, werr := f.Write(item.Data)
	if cerr := f.Close(); werr != nil || cerr != nil {
		return nil, fmt.Errorf("media: writing video to a temporary file: %v %v", werr, cerr)
	}
	info, err := probeVideo(ctx, f.Name())
	if err != nil {
		return nil, err
	}
	if limits.MaxVideo > 0 && info.Duration > limits.MaxVideo {
		return nil, fmt.Errorf("%w: video lasts %s, over the limit of %s", ErrTooLarge, info.Duration.Round(time.Second), limits.MaxVideo)
	}
	if !info.Video && !info.Audio {
		return nil, fmt.Errorf("%w: no video or audio stream", ErrCorrupt)
	}
	if limits.MaxPixels > 0 && int64(info.Width)*int64(info.Height) > limits.MaxPixels {
		return nil, fmt.Errorf("%w: video frames are %dx%d pixels", ErrTooLarge, info.Width, info.Height)
	}
	var items []Item
	if info.Video {
		if secs := info.Duration.Seconds(); secs > 0 && secs*fps > MaxVideoFrames {
			fps = MaxVideoFrames / secs
		}
		frames, err := sampleFrames(ctx, f.Name(), fps)
		if err != nil {
			return nil, err
		}
		for i, jpg := range frames {
			items = append(items, Item{
				MessageID:   item.MessageID,
				Part:        item.Part,
				Kind:        Image,
				Modality:    ModVideo,
				Data:        jpg,
				ContentType: "image/jpeg",
				Name:        fmt.Sprintf("frame-%04d.jpg", i),
				Offset:      time.Duration(float64(i) / fps * float64(time.Second)),
			})
		}
	}
	if info.Audio {
		wav, err := audioTrack(ctx, f.Name(), limits.MaxVideo)
		if err != nil {
			return nil, err
		}
		if wav != nil {
			items = append(items, Item{
				MessageID:   item.MessageID,
				Part:        item.Part,
				Kind:        Audio,
				Modality:    ModVideo,
				Data:        wav,
				ContentType: "audio/wav",
				Name:        "audio.wav",
			})
		}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%w: no frames or audio could be decoded", ErrCorrupt)
	}
	return items, nil
}

func probeVideo(ctx context.Context, path string) (videoInfo, error) {
	var info videoInfo
	probe, err := exec.LookPath("ffprobe")
	if err != nil {
		return info, ErrNoFFmpeg
	}
	ctx, cancel := context.WithTimeout(ctx, FFmpegTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, probe, "-v", "error", "-show_entries",
		"format=duration,format_name:stream=codec_type,width,height", "-of", "json", path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return info, fmt.Errorf("%w: probing the video took longer than %s", ErrTooLarge, FFmpegTimeout)
		}
		return info, fmt.Errorf("%w: not a readable video: %s", ErrCorrupt, firstLine(stderr.String()))
	}
	var out struct {
		Format struct {
			Duration   string `json:"duration"`
			FormatName string `json:"format_name"`
		} `json:"format"`
		Streams []struct {
			CodecType string `json:"codec_type"`
			Width     int    `json:"width"`
			Height    int    `json:"height"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return info, fmt.Errorf("%w: unreadable probe output", ErrCorrupt)
	}
	switch out.Format.FormatName {
	case "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi", "mpeg", "mpegts", "flv", "ogg":
	default:
		return info, fmt.Errorf("%w: %q is not a video container (want MP4, WebM or MOV)", ErrUnsupported, out.Format.FormatName)
	}
	if d, err := strconv.ParseFloat(out.Format.Duration, 64); err == nil && d > 0 {
		info.Duration = time.Duration(d * float64(time.Second))
	}
	for _, s := range out.Streams {
		switch s.CodecType {
		case "video":
			if !info.Video {
				info.Video, info.Width, info.Height = true, s.Width, s.Height
			}
		case "audio":
			info.Audio = true
		}
	}
	return info, nil
}

// sampleFrames decodes frames at fps, scaled to at most MaxFrameWidth wide, as JPEGs.
func sampleFrames(ctx context.Context, path string, fps float64) ([][]byte, error) {
	filter := fmt.Sprintf("fps=%s,scale='min(%d,iw)':-2", strconv.FormatFloat(fps, 'f', 6, 64), MaxFrameWidth)
	out, err := FFmpeg(ctx, nil, int64(MaxVideoFrames+1)*maxFrameBytes,
		"-i", path, "-an", "-sn", "-vf", filter, "-frames:v", strconv.Itoa(MaxVideoFrames),
		"-f", "image2pipe", "-c:v", "mjpeg", "-q:v", "4", "pipe:1")
	if err != nil {
		return nil, err
	}
	frames := splitJPEGs(out)
	if len(frames) == 0 {
		return nil, fmt.Errorf("%w: the video stream holds no decodable frame", ErrCorrupt)
	}
	return frames, nil
}

// splitJPEGs cuts a stream of concatenated JPEGs at each start-of-image marker. In entropy-coded
// data 0xFF is always followed by 0x00 or a restart marker, so FF D8 FF only starts an image.
func splitJPEGs(b []byte) [][]byte {
	soi := []byte{0xFF, 0xD8, 0xFF}
	var out [][]byte
	start := bytes.Index(b, soi)
	for start >= 0 {
		next := bytes.Index(b[start+3:], soi)
		if next < 0 {
			out = append(out, b[start:])
			break
		}
		out = append(out, b[start:start+3+next])
		start += 3 + next
	}
	return out
}

// audioTrack decodes the first audio stream to 16 kHz mono and wraps it as WAV; nil when the
// stream holds no samples.
func audioTrack(ctx context.Context, path string, maxDur time.Duration) ([]byte, error) {
	if maxDur <= 0 {
		maxDur = DefaultLimits().MaxVideo
	}
	maxBytes := int64(maxDur.Seconds()*SpeechRate*2) + 1<<16
	raw, err := FFmpeg(ctx, nil, maxBytes, "-i", path, "-vn", "-sn", "-map", "0:a:0",
		"-ac", "1", "-ar", strconv.Itoa(SpeechRate), "-f", "s16le", "-acodec", "pcm_s16le", "pipe:1")
	if err != nil {
		return nil, err
	}
	if len(raw) < 2 {
		return nil, nil
	}
	pcm := PCM{Samples: make([]int16, len(raw)/2), Rate: SpeechRate}
	for i := range pcm.Samples {
		pcm.Samples[i] = int16(uint16(raw[2*i]) | uint16(raw[2*i+1])<<8)
	}
	return EncodeWAV(pcm), nil
}

func firstLine(s string) string {
	s = string(bytes.TrimSpace([]byte(s)))
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
