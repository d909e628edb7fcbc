//! A user's application function — a small RAG answerer with retries and a
//! tool — tested entirely through `tensoras-mock`: the happy path, a 429
//! then success, a stream cut mid-answer, a tool call round trip.

/// The application under test, as a user would write it: it knows nothing
/// of the mock.
mod app {
    use futures::StreamExt as _;
    use schemars::JsonSchema;
    use serde::Deserialize;
    use tensoras::prelude::*;

    /// What the answerer returns.
    #[derive(Debug)]
    pub struct Answer {
        pub text: String,
        pub sources: Vec<String>,
    }

    /// Arguments of the `lookup_order` tool.
    #[derive(Debug, Deserialize, JsonSchema)]
    pub struct LookupOrder {
        pub order_id: String,
    }

    /// The app's own order database.
    fn lookup(order: &LookupOrder) -> String {
        format!("Order {} shipped on Monday.", order.order_id)
    }

    fn request(kb: &str, question: &str) -> ChatCompletionRequest {
        ChatCompletionRequest::new(
            "llama-3.3-70b",
            [
                ChatMessage::system("Answer from the handbook."),
                ChatMessage::user(question),
            ],
        )
        .knowledge_bases([kb])
    }

    /// Answers from the knowledge base `kb`, with its sources. The SDK
    /// retries 429s and 5xx on its own.
    pub async fn answer(client: &Tensoras, kb: &str, question: &str) -> tensoras::Result<Answer> {
        let completion = client
            .chat()
            .completions()
            .create(request(kb, question))
            .await?;
        Ok(Answer {
            text: completion.text().to_owned(),
            sources: completion
                .citations
                .iter()
                .map(|c| c.source.clone())
                .collect(),
        })
    }

    /// Streams the answer to `on_token`. A stream cut mid-answer (which
    /// the SDK cannot retry: part of it was delivered) is started over
    /// once, after `on_restart`.
    pub async fn answer_streaming(
        client: &Tensoras,
        kb: &str,
        question: &str,
        mut on_token: impl FnMut(&str),
        mut on_restart: impl FnMut(),
    ) -> tensoras::Result<String> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut stream = client
                .chat()
                .completions()
                .create_stream(request(kb, question))
                .await?;
            let mut text = String::new();
            let mut cut = None;
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(chunk) => {
                        let token = chunk.delta_text();
                        on_token(token);
                        text.push_str(token);
                    }
                    Err(e) => {
                        cut = Some(e);
                        break;
                    }
                }
            }
            match cut {
                None => return Ok(text),
                Some(e) if attempts >= 2 => return Err(e),
                Some(_) => on_restart(),
            }
        }
    }

    /// Answers a question about an order: the model may call
    /// `lookup_order`, whose result goes back for the final answer.
    pub async fn answer_with_tools(client: &Tensoras, question: &str) -> tensoras::Result<String> {
        let tool = Tool::function::<LookupOrder>("lookup_order", "Looks an order up by id");
        let asked = ChatMessage::user(question);
        let first = client
            .chat()
            .completions()
            .create(
                ChatCompletionRequest::new("llama-3.3-70b", [asked.clone()]).tools([tool.clone()]),
            )
            .await?;
        let Some(call) = first.tool_calls().first() else {
            return Ok(first.text().to_owned());
        };
        let result = lookup(&call.arguments::<LookupOrder>()?);
        let last = client
            .chat()
            .completions()
            .create(
                ChatCompletionRequest::new(
                    "llama-3.3-70b",
                    [
                        asked,
                        first.choices[0].message.to_message(),
                        ChatMessage::tool(&call.id, result),
                    ],
                )
                .tools([tool]),
            )
            .await?;
        Ok(last.text().to_owned())
    }
}

use std::time::Duration;
use tensoras::operations::CreateChatCompletion;
use tensoras::prelude::*;
use tensoras::FileSource;
use tensoras_mock::{Fault, MockServer, Reply};

/// A knowledge base with the handbook, on the fake.
async fn handbook(server: &MockServer) -> String {
    let client = server.client();
    let kb = client
        .knowledge_bases()
        .create(KnowledgeBaseCreateRequest::new("support"))
        .await
        .unwrap();
    client
        .knowledge_bases()
        .data_sources()
        .create_from_file(
            &kb.id,
            FileSource::bytes(
                "returns.md",
                "Items can be returned within 30 days with the receipt.",
            ),
        )
        .await
        .unwrap();
    kb.id
}

#[tokio::test]
async fn answers_from_the_uploaded_handbook_with_its_source() {
    let server = MockServer::start().await;
    let kb = handbook(&server).await;
    let answer = app::answer(&server.client(), &kb, "Can items be returned?")
        .await
        .unwrap();
    assert!(
        answer.text.contains("returned within 30 days"),
        "{}",
        answer.text
    );
    assert_eq!(answer.sources, ["returns.md"]);
}

#[tokio::test]
async fn a_429_then_success() {
    let server = MockServer::start().await;
    let kb = handbook(&server).await;
    server.inject(
        Fault::status(429)
            .retry_after(Duration::from_millis(20))
            .times(1)
            .on::<CreateChatCompletion>(),
    );
    let answer = app::answer(&server.client(), &kb, "Can items be returned?")
        .await
        .unwrap();
    assert!(answer.text.contains("30 days"));
    assert_eq!(server.received::<CreateChatCompletion>().len(), 2);
}

#[tokio::test]
async fn a_stream_cut_mid_answer_is_started_over_once() {
    let server = MockServer::start().await;
    let kb = handbook(&server).await;
    server.inject(Fault::cut_stream(4).times(1).on::<CreateChatCompletion>());
    let mut restarts = 0;
    let mut tokens = 0;
    let text = app::answer_streaming(
        &server.client(),
        &kb,
        "Can items be returned?",
        |token| tokens += usize::from(!token.is_empty()),
        || restarts += 1,
    )
    .await
    .unwrap();
    assert_eq!(restarts, 1);
    assert!(
        text.contains("returned within 30 days with the receipt."),
        "{text}"
    );
    // The cut attempt's two words came first (the role chunk and a
    // keep-alive before them carry no text), then the whole answer.
    assert_eq!(tokens, text.split_whitespace().count() + 2);

    // Cut twice: the app gives up with the SDK's typed error.
    server.inject(Fault::cut_stream(1).times(2).on::<CreateChatCompletion>());
    let err = app::answer_streaming(&server.client(), &kb, "Again?", |_| {}, || {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Stream { .. } | Error::Connection { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_tool_call_round_trip() {
    let server = MockServer::start().await;
    server
        .mock::<CreateChatCompletion>()
        .when(|r| r.messages.len() == 1)
        .respond(Reply::tool_call(
            "lookup_order",
            &serde_json::json!({"order_id": "A-17"}),
        ))
        .expect(1)
        .mount();
    server
        .mock::<CreateChatCompletion>()
        .when_contains("Order A-17 shipped on Monday.")
        .respond(Reply::text("Your order A-17 shipped on Monday."))
        .expect(1)
        .mount();
    let text = app::answer_with_tools(&server.client(), "Where is my order A-17?")
        .await
        .unwrap();
    assert_eq!(text, "Your order A-17 shipped on Monday.");
    let sent = server.received::<CreateChatCompletion>();
    let tool_turn = &sent[1].body.messages[2];
    assert_eq!(tool_turn.role, Role::Tool);
    assert_eq!(tool_turn.tool_call_id.as_deref(), Some("call_mock_1"));
}
