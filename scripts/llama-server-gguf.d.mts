/** sha256 (hex) over the raw bytes of every `tokenizer.*` key-value pair of a GGUF file, in file order. */
export function ggufTokenizerDigest(file: string): string;
