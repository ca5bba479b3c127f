/** ucprobe's version, as `--version` prints it and protobuf stream headers carry it. */
export const UCPROBE_VERSION = '0.1.0';
