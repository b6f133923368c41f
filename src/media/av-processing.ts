import { spawn } from 'node:child_process';
import type { MediaMetadata } from '../store/file-store.js';
import { THUMB_BOX } from './image-processing.js';

const MAX_OUTPUT = 4 * 1024 * 1024;
/** Address space of one ffprobe/ffmpeg run, in KiB (ulimit -v). */
const MEMORY_KIB = 1024 * 1024;
/** Largest single allocation ffmpeg may make. */
const MAX_ALLOC = 256 * 1024 * 1024;

/**
 * The ffmpeg demuxer of each accepted audio/video type. Only these are ever
 * used: the demuxer is named with `-f` (no probing) and is the only one
 * allowed (`-format_whitelist`), so a crafted file cannot switch to a
 * playlist (HLS, concat, …) that reads other files or the network.
 */
const DEMUXERS: Record<string, string> = {
  'video/mp4': 'mov',
  'video/quicktime': 'mov',
  'video/3gpp': 'mov',
  'video/3gpp2': 'mov',
  'video/x-m4v': 'mov',
  'audio/mp4': 'mov',
  'audio/x-m4a': 'mov',
  'video/webm': 'matroska',
  'video/x-matroska': 'matroska',
  'audio/webm': 'matroska',
  'audio/x-matroska': 'matroska',
  'video/x-msvideo': 'avi',
  'video/vnd.avi': 'avi',
  'video/x-flv': 'flv',
  'video/mpeg': 'mpeg',
  'video/mp2t': 'mpegts',
  'video/ogg': 'ogg',
  'audio/ogg': 'ogg',
  'audio/opus': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/vnd.wave': 'wav',
  'audio/aac': 'aac',
  'audio/x-flac': 'flac',
  'audio/flac': 'flac',
  'audio/aiff': 'aiff',
  'audio/x-aiff': 'aiff',
};

/** The demuxer for an audio/video type, or null when the type is not one ffmpeg is given. */
export function demuxerFor(mime: string): string | null {
  return DEMUXERS[mime] ?? null;
}

/** Input options for an untrusted file: its demuxer only, local file reads only, bounded probing and allocations. */
function inputArgs(filePath: string, demuxer: string): string[] {
  return [
    '-max_alloc',
    String(MAX_ALLOC),
    '-probesize',
    '5000000',
    '-analyzeduration',
    '10000000',
    '-f',
    demuxer,
    '-format_whitelist',
    demuxer,
    '-protocol_whitelist',
    'file',
    '-i',
    `file:${filePath}`,
  ];
}

/** Runs a tool and collects its stdout; rejects on a non-zero exit, overflow or timeout (the tool is killed). Memory is capped with ulimit. */
function run(cmd: string, args: string[], timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // The arguments reach the tool as positional parameters, never as shell text.
    const child = spawn('/bin/sh', ['-c', `ulimit -v ${MEMORY_KIB} && exec "$0" "$@"`, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_OUTPUT) child.kill('SIGKILL');
      else chunks.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 2000) stderr += c.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0 && size <= MAX_OUTPUT) resolve(Buffer.concat(chunks));
      else reject(new Error(`${cmd} ${signal ? `killed (${signal})` : `exited ${code}`}: ${stderr.trim().slice(0, 300)}`));
    });
  });
}

let available: Promise<boolean> | undefined;

/** Whether ffprobe and ffmpeg can be run here (checked once per process). */
export function ffmpegAvailable(): Promise<boolean> {
  available ??= Promise.all([run('ffprobe', ['-version'], 10_000), run('ffmpeg', ['-version'], 10_000)]).then(
    () => true,
    () => false,
  );
  return available;
}

interface ProbeStream {
  codec_type?: string;
  width?: number;
  height?: number;
  duration?: string;
}

/**
 * Video: size and duration of the first video stream, plus a JPEG poster
 * frame at 1 s (0 s for shorter clips) fitting 256×256; a poster that cannot
 * be made is left out. Audio: duration only. Throws when ffprobe cannot read
 * the file or finds no stream of the expected kind.
 */
export async function processAudioVideo(filePath: string, kind: 'audio' | 'video', demuxer: string, timeoutMs: number): Promise<MediaMetadata> {
  const probe = JSON.parse(
    (await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', ...inputArgs(filePath, demuxer)], timeoutMs)).toString(
      'utf8',
    ),
  ) as {
    streams?: ProbeStream[];
    format?: { duration?: string };
  };
  const stream = probe.streams?.find((s) => s.codec_type === kind);
  if (!stream) throw new Error(`no ${kind} stream found`);
  const seconds = Number(stream.duration ?? probe.format?.duration);
  const duration = Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
  if (kind === 'audio') return { width: null, height: null, duration, thumbnail: null };

  const width = Number.isInteger(stream.width) ? stream.width! : null;
  const height = Number.isInteger(stream.height) ? stream.height! : null;
  const frameAt = (at: string) =>
    run(
      'ffmpeg',
      [
        '-v',
        'error',
        '-nostdin',
        '-threads',
        '1',
        '-ss',
        at,
        ...inputArgs(filePath, demuxer),
        '-map',
        '0:v:0',
        '-an',
        '-sn',
        '-dn',
        '-frames:v',
        '1',
        '-vf',
        `scale='min(${THUMB_BOX},iw)':'min(${THUMB_BOX},ih)':force_original_aspect_ratio=decrease`,
        '-f',
        'image2pipe',
        '-c:v',
        'mjpeg',
        '-q:v',
        '4',
        'pipe:1',
      ],
      timeoutMs,
    ).catch(() => Buffer.alloc(0));
  let poster = duration !== null && duration < 1 ? Buffer.alloc(0) : await frameAt('1');
  if (poster.length === 0) poster = await frameAt('0');
  return { width, height, duration, thumbnail: poster.length > 0 ? { bytes: poster, mime: 'image/jpeg' } : null };
}
