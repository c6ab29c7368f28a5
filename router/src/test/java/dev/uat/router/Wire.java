package dev.uat.router;

/** Bodies as the real servers send them (Ollama's API docs, OpenAI's API reference). */
final class Wire {
  private Wire() {}

  static final String OLLAMA_TAGS =
      """
      {"models":[
        {"name":"llama3.2:latest","model":"llama3.2:latest",
         "modified_at":"2025-05-04T17:37:44.706015396-07:00","size":2019393189,
         "digest":"a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
         "details":{"parent_model":"","format":"gguf","family":"llama","families":["llama"],
                    "parameter_size":"3.2B","quantization_level":"Q4_K_M"}},
        {"name":"qwen2.5:0.5b","model":"qwen2.5:0.5b",
         "modified_at":"2025-04-01T09:00:00.000000000Z","size":397821319,
         "digest":"a8b0c51577010a279d933d14c2a8ab4b268079d44c5c8830c0a93900f1827c67",
         "details":{"parent_model":"","format":"gguf","family":"qwen2","families":["qwen2"],
                    "parameter_size":"494.03M","quantization_level":"Q4_K_M"}}
      ]}
      """;

  static String ollamaChat(String model, String content, String doneReason) {
    return """
        {"model":"%s","created_at":"2023-12-12T14:13:43.416799Z",
         "message":{"role":"assistant","content":"%s"},
         "done":true,"done_reason":"%s","total_duration":5191566416,"load_duration":2154458,
         "prompt_eval_count":26,"prompt_eval_duration":383809000,
         "eval_count":298,"eval_duration":4799921000}
        """
        .formatted(model, content, doneReason);
  }

  static final String OPENAI_MODELS =
      """
      {"object":"list","data":[
        {"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},
        {"id":"gpt-4.1","object":"model","created":1744316542,"owned_by":"system"}
      ]}
      """;

  static final String OPENAI_CHAT =
      """
      {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion",
       "created":1741569952,"model":"gpt-4o-mini-2024-07-18",
       "choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help?",
                   "refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],
       "usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,
                "prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},
                "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,
                   "accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},
       "service_tier":"default","system_fingerprint":"fp_06737a9306"}
      """;

  /** Ollama's streamed /api/chat: NDJSON, one line per token, a last line with done:true. */
  static String ollamaStream(String model, String... pieces) {
    StringBuilder b = new StringBuilder();
    for (String p : pieces) {
      b.append(
          """
          {"model":"%s","created_at":"2023-08-04T08:52:19.385406455-07:00",          "message":{"role":"assistant","content":"%s"},"done":false}
          """
              .formatted(model, p));
    }
    b.append(
        """
        {"model":"%s","created_at":"2023-08-04T19:22:45.499127Z",        "message":{"role":"assistant","content":""},"done":true,"done_reason":"stop",        "total_duration":4883583458,"load_duration":1334875,"prompt_eval_count":26,        "prompt_eval_duration":342546000,"eval_count":282,"eval_duration":4535599000}
        """
            .formatted(model));
    return b.toString();
  }

  /** An OpenAI streamed answer: SSE chunks, finish_reason, a usage chunk, [DONE]. */
  static String openAiStream(String model, String... pieces) {
    StringBuilder b = new StringBuilder();
    String head =
        "{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
            + "\"model\":\""
            + model
            + "\",\"system_fingerprint\":\"fp_44709d6fcb\",";
    b.append("data: ")
        .append(head)
        .append(
            "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n");
    for (String p : pieces) {
      b.append("data: ")
          .append(head)
          .append(
              "\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
                  + p
                  + "\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n");
    }
    b.append("data: ")
        .append(head)
        .append(
            "\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,"
                + "\"finish_reason\":\"stop\"}],\"usage\":null}\n\n");
    b.append(": keep-alive\n\n");
    b.append("data: ")
        .append(head)
        .append(
            "\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,"
                + "\"total_tokens\":21}}\n\n");
    b.append("data: [DONE]\n\n");
    return b.toString();
  }

  static final String OLLAMA_EMBED =
      """
      {"model":"all-minilm","embeddings":[[0.010071029,-0.0017594862,0.05007221],
       [-0.0098027075,0.06042469,0.025450004]],"total_duration":14143917,
       "load_duration":1019500,"prompt_eval_count":8}
      """;

  static final String OPENAI_EMBEDDINGS =
      """
      {"object":"list","data":[{"object":"embedding","index":0,
        "embedding":[0.0023064255,-0.009327292,-0.0028842222]}],
       "model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}
      """;
}
