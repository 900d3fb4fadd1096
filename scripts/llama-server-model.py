#!/usr/bin/env python3
"""Write a tiny random-weight llama GGUF with the real 32k SentencePiece vocabulary (issue 8).

The vocabulary (tokens, scores, types, special ids) is copied from llama.cpp's vocab-only test file
models/ggml-vocab-llama-spm.gguf, so /tokenize and every token count are those of a real llama-2
tokenizer; the weights are seeded normal noise, so generation is fast and never stops early by itself
(EOS has a 1-in-32000 chance per token). Run with PYTHONPATH=<llama.cpp>/gguf-py.
"""
import argparse

import numpy as np
from gguf import GGUFReader, GGUFValueType, GGUFWriter

# A plain chat template so /v1/chat/completions renders a prompt (the vocab file carries none). It
# starts with the BOS text as Llama-2's does: llama-server strips it and adds BOS when it tokenizes,
# a Hugging Face tokenizer renders it as the BOS token, so both count a chat prompt alike.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)


def field(reader, name):
    f = reader.fields[name]
    if f.types[0] == GGUFValueType.ARRAY:
        if f.types[1] == GGUFValueType.STRING:
            return [bytes(f.parts[i]).decode("utf-8", errors="surrogateescape") for i in f.data]
        return [f.parts[i].tolist()[0] for i in f.data]
    v = f.parts[f.data[0]]
    if f.types[0] == GGUFValueType.STRING:
        return bytes(v).decode("utf-8")
    return v.tolist()[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vocab", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--embd", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ff", type=int, default=128)
    p.add_argument("--context", type=int, default=4096)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    vocab = GGUFReader(a.vocab)
    tokens = field(vocab, "tokenizer.ggml.tokens")
    n_vocab = len(tokens)
    rng = np.random.default_rng(a.seed)

    w = GGUFWriter(a.out, "llama")
    w.add_name("llm-loadgen tiny random llama")
    w.add_context_length(a.context)
    w.add_embedding_length(a.embd)
    w.add_block_count(a.layers)
    w.add_feed_forward_length(a.ff)
    w.add_head_count(a.heads)
    w.add_head_count_kv(a.heads)
    w.add_rope_dimension_count(a.embd // a.heads)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(n_vocab)
    w.add_file_type(1)  # mostly F16

    w.add_tokenizer_model(field(vocab, "tokenizer.ggml.model"))
    w.add_tokenizer_pre(field(vocab, "tokenizer.ggml.pre"))
    w.add_token_list(tokens)
    w.add_token_scores(field(vocab, "tokenizer.ggml.scores"))
    w.add_token_types(field(vocab, "tokenizer.ggml.token_type"))
    w.add_bos_token_id(field(vocab, "tokenizer.ggml.bos_token_id"))
    w.add_eos_token_id(field(vocab, "tokenizer.ggml.eos_token_id"))
    w.add_unk_token_id(field(vocab, "tokenizer.ggml.unknown_token_id"))
    w.add_add_bos_token(bool(field(vocab, "tokenizer.ggml.add_bos_token")))
    w.add_add_eos_token(bool(field(vocab, "tokenizer.ggml.add_eos_token")))
    w.add_chat_template(CHAT_TEMPLATE)

    def noise(*shape):
        return (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float16)

    def ones(n):
        return np.ones(n, dtype=np.float32)

    # numpy shape is (ne1, ne0): a weight that maps n_embd -> n_ff is (n_ff, n_embd).
    w.add_tensor("token_embd.weight", noise(n_vocab, a.embd))
    w.add_tensor("output_norm.weight", ones(a.embd))
    w.add_tensor("output.weight", noise(n_vocab, a.embd))
    for i in range(a.layers):
        b = f"blk.{i}"
        w.add_tensor(f"{b}.attn_norm.weight", ones(a.embd))
        for t in ("attn_q", "attn_k", "attn_v", "attn_output"):
            w.add_tensor(f"{b}.{t}.weight", noise(a.embd, a.embd))
        w.add_tensor(f"{b}.ffn_norm.weight", ones(a.embd))
        w.add_tensor(f"{b}.ffn_gate.weight", noise(a.ff, a.embd))
        w.add_tensor(f"{b}.ffn_up.weight", noise(a.ff, a.embd))
        w.add_tensor(f"{b}.ffn_down.weight", noise(a.embd, a.ff))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
