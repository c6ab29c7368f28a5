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
}
