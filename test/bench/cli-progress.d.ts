// Minimal typings for the parts of cli-progress 3 the seed and the benchmark use (the package ships none).
declare module 'cli-progress' {
  interface Options {
    format?: string;
    stream?: NodeJS.WritableStream;
    barsize?: number;
    hideCursor?: boolean;
    clearOnComplete?: boolean;
    stopOnComplete?: boolean;
    fps?: number;
    /** Also draw when the stream is not a TTY (one line per notTTYSchedule ms). */
    noTTYOutput?: boolean;
    notTTYSchedule?: number;
    gracefulExit?: boolean;
    etaBuffer?: number;
    formatValue?: (value: number, options: unknown, type: 'value' | 'total' | 'percentage' | string) => string;
  }

  interface Preset {
    format?: string;
    barCompleteChar?: string;
    barIncompleteChar?: string;
  }

  export class SingleBar {
    constructor(options: Options, preset?: Preset);
    start(total: number, startValue: number, payload?: Record<string, unknown>): void;
    update(current: number, payload?: Record<string, unknown>): void;
    setTotal(total: number): void;
    stop(): void;
  }

  export const Presets: { legacy: Preset; shades_classic: Preset; shades_grey: Preset; rect: Preset };
}
