//! The shared golden vectors (tests/vectors/, docs/format.md "Golden
//! vectors") through the Rust API: each decodes to its JSON, and encodes
//! back to the same bytes through the C ABI's builder and encoders.

mod common;

use std::fs;

use common::{Json, actor_from_hex, digest_from_hex, from_hex, op_id, vectors_dir};
use weft::{
    BatchBuilder, BatchHeader, Code, Log, Op, OpFields, OpId, Seal, chunk_verify, decode_ack,
    decode_batch, decode_chunk,
};

struct Vector {
    name: String,
    bin: Vec<u8>,
    json: Json,
}

/// Every NAME.bin with its NAME.json whose "type" is `kind`.
fn vectors(kind: &str) -> Vec<Vector> {
    let dir = vectors_dir();
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("vectors directory {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter_map(|file| file.strip_suffix(".bin").map(str::to_owned))
        .collect();
    names.sort();
    let all: Vec<Vector> = names
        .into_iter()
        .map(|name| {
            let bin = fs::read(dir.join(format!("{name}.bin"))).unwrap();
            let text = fs::read_to_string(dir.join(format!("{name}.json")))
                .unwrap_or_else(|e| panic!("{name}.json: {e}"));
            let json = Json::parse(&text).unwrap_or_else(|e| panic!("{name}.json: {e}"));
            Vector { name, bin, json }
        })
        .collect();
    let found: Vec<Vector> = all.into_iter().filter(|v| v.json.get("type").str() == kind).collect();
    assert!(!found.is_empty(), "no {kind} vector in {}", dir.display());
    found
}

/// The ops a vector lists, in the form the builder takes.
struct JsonOp {
    id: OpId,
    lamport: u64,
    kind: u32,
    timestamp_ms: i64,
    deps: Vec<OpId>,
    payload: Vec<u8>,
}

fn json_ops(json: &Json) -> Vec<JsonOp> {
    json.get("ops")
        .array()
        .iter()
        .map(|op| JsonOp {
            id: op_id(op),
            lamport: op.get("lamport").u64(),
            kind: u32::try_from(op.get("kind").int()).unwrap(),
            timestamp_ms: i64::try_from(op.get("timestamp_ms").int()).unwrap(),
            deps: op.get("deps").array().iter().map(op_id).collect(),
            payload: from_hex(op.get("payload_hex").str()),
        })
        .collect()
}

fn assert_ops_match(name: &str, decoded: Vec<Op>, json: &Json) {
    let expected = json_ops(json);
    assert_eq!(decoded.len(), expected.len(), "{name}: op count");
    for (i, (op, want)) in decoded.iter().zip(&expected).enumerate() {
        let at = format!("{name} op {i}");
        assert_eq!(op.id, want.id, "{at}: id");
        assert_eq!(op.lamport, want.lamport, "{at}: lamport");
        assert_eq!(op.kind, want.kind, "{at}: kind");
        assert_eq!(op.timestamp_ms, want.timestamp_ms, "{at}: timestamp_ms");
        assert_eq!(op.deps, want.deps, "{at}: deps");
        assert_eq!(op.payload, want.payload, "{at}: payload");
        assert_eq!(op.cursor, 0, "{at}: cursor outside a log");
        assert_ne!(op.hash, [0; 32], "{at}: hash");
    }
}

fn json_header(json: &Json) -> BatchHeader {
    let expected_cursor = json.get("expected_cursor");
    BatchHeader {
        batch_id: json.get("batch_id").u64(),
        seq: json.get("seq").u64(),
        expected_cursor: (!expected_cursor.is_null()).then(|| expected_cursor.u64()),
        epoch: u32::try_from(json.get("epoch").int()).unwrap(),
    }
}

fn json_seal(json: &Json) -> Seal {
    Seal {
        actor: actor_from_hex(json.get("actor").str()),
        index: json.get("index").u64(),
        first: json.get("first").u64(),
        last: json.get("last").u64(),
        prev_digest: digest_from_hex(json.get("prev_digest").str()),
        digest: digest_from_hex(json.get("digest").str()),
    }
}

#[test]
fn batches_decode_as_their_json() {
    for v in vectors("batch") {
        let batch = decode_batch(&v.bin).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(batch.header(), &json_header(&v.json), "{}: header", v.name);
        assert_eq!(batch.len(), v.json.get("ops").array().len(), "{}", v.name);
        assert_eq!(batch.is_empty(), v.json.get("ops").array().is_empty());
        assert!(batch.op(batch.len()).is_none());
        assert_ops_match(&v.name, batch.ops().collect(), &v.json);
    }
}

#[test]
fn batches_encode_from_their_json_byte_identically() {
    for v in vectors("batch") {
        let mut builder = BatchBuilder::new().unwrap();
        builder.set_header(&json_header(&v.json));
        for op in json_ops(&v.json) {
            builder.add_op(&OpFields {
                id: op.id,
                lamport: op.lamport,
                kind: op.kind,
                timestamp_ms: op.timestamp_ms,
                deps: &op.deps,
                payload: &op.payload,
            });
        }
        assert_eq!(builder.finish().unwrap(), v.bin, "{}: re-encoded bytes", v.name);
        // The builder goes on being usable, and answers the same.
        assert_eq!(builder.finish().unwrap(), v.bin, "{}: second finish", v.name);
    }
}

#[test]
fn decoded_batches_rebuild_byte_identically() {
    for v in vectors("batch") {
        let batch = decode_batch(&v.bin).unwrap();
        let mut builder = BatchBuilder::new().unwrap();
        builder.set_header(batch.header());
        for op in batch.ops() {
            builder.add_op(&op.fields());
        }
        assert_eq!(builder.finish().unwrap(), v.bin, "{}", v.name);
    }
}

#[test]
fn acks_decode_as_their_json() {
    for v in vectors("ack") {
        let ack = decode_ack(&v.bin).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        let j = &v.json;
        assert_eq!(ack.batch_id(), j.get("batch_id").u64(), "{}", v.name);
        assert_eq!(ack.seq(), j.get("seq").u64(), "{}", v.name);
        assert_eq!(ack.status().name(), j.get("status").str(), "{}", v.name);
        assert_eq!(ack.cursor(), j.get("cursor").u64(), "{}", v.name);
        let ids = |key: &str| j.get(key).array().iter().map(op_id).collect::<Vec<_>>();
        assert_eq!(ack.applied(), ids("applied"), "{}: applied", v.name);
        assert_eq!(ack.duplicates(), ids("duplicates"), "{}: duplicates", v.name);
        let rejected: Vec<(OpId, &str)> =
            ack.rejected().iter().map(|r| (r.id, r.code.name())).collect();
        let want: Vec<(OpId, &str)> =
            j.get("rejected").array().iter().map(|r| (op_id(r), r.get("code").str())).collect();
        assert_eq!(rejected, want, "{}: rejected", v.name);
        assert!(ack.rejected().iter().all(|r| !matches!(r.code, Code::Unknown(_))));
    }
}

#[test]
fn acks_encode_byte_identically() {
    for v in vectors("ack") {
        let ack = decode_ack(&v.bin).unwrap();
        assert_eq!(ack.encode().unwrap(), v.bin, "{}", v.name);
        assert_eq!(weft::encode_ack(&ack).unwrap(), v.bin, "{}", v.name);
    }
}

#[test]
fn chunks_decode_as_their_json() {
    for v in vectors("chunk") {
        let chunk = decode_chunk(&v.bin).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(chunk.seal(), &json_seal(&v.json), "{}: seal", v.name);
        assert_eq!(chunk.len(), v.json.get("ops").array().len());
        assert!(chunk.op(chunk.len()).is_none());
        assert_ops_match(&v.name, chunk.ops().collect(), &v.json);
    }
}

#[test]
fn chunks_are_canonical_and_verify_against_their_seal() {
    for v in vectors("chunk") {
        let seal = json_seal(&v.json);
        assert_eq!(chunk_verify(&v.bin, None).unwrap(), seal, "{}", v.name);
        assert_eq!(chunk_verify(&v.bin, Some(&seal)).unwrap(), seal, "{}", v.name);

        let mut wrong = seal;
        wrong.digest[0] ^= 1;
        let err = chunk_verify(&v.bin, Some(&wrong)).unwrap_err();
        assert_eq!(err.code, Code::ChecksumMismatch, "{}: {err}", v.name);
        assert!(!err.message.is_empty());

        let mut wrong = seal;
        wrong.index += 1;
        assert_eq!(chunk_verify(&v.bin, Some(&wrong)).unwrap_err().code, Code::ChecksumMismatch);
    }
}

#[test]
fn damaged_vectors_are_refused_with_typed_codes() {
    for v in vectors("batch").into_iter().chain(vectors("chunk")).chain(vectors("ack")) {
        let truncated = &v.bin[..v.bin.len() / 2];
        let kind = v.json.get("type").str();
        let err = match kind {
            "batch" => decode_batch(truncated).unwrap_err(),
            "chunk" => decode_chunk(truncated).unwrap_err(),
            _ => decode_ack(truncated).unwrap_err(),
        };
        assert_eq!(err.code, Code::Malformed, "{}: {err}", v.name);
        assert!(!err.message.is_empty(), "{}: the error names what is wrong", v.name);
    }
    // A message of another type is refused, not misread.
    let batch = &vectors("batch")[0];
    assert_eq!(decode_ack(&batch.bin).unwrap_err().code, Code::Malformed);
    assert_eq!(decode_batch(b"").unwrap_err().code, Code::Malformed);
}

#[test]
fn chunk_vectors_go_into_a_log() {
    let chunks = vectors("chunk");
    let (first, second) = (&chunks[0], &chunks[1]);
    assert_eq!((first.name.as_str(), second.name.as_str()), ("chunk_first", "chunk_second"));
    let seal = json_seal(&first.json);
    let log = Log::open_memory().unwrap();
    assert_eq!(log.chunk_put(&first.bin, Some(&seal.digest)).unwrap(), seal);
    assert_eq!(log.chunk_put(&first.bin, None).unwrap(), seal, "the same bytes again");
    assert_eq!(log.chunk_get(&seal.actor, 0).unwrap(), first.bin);
    assert_eq!(log.cursor(), 3);
    assert_eq!(log.verify().unwrap(), weft::VerifyReport { ops: 3, chunks: 1 });

    // chunk_second depends on an op of another writer the log lacks.
    let err = log.chunk_put(&second.bin, None).unwrap_err();
    assert_eq!(err.code, Code::MissingDependency, "{err}");
    assert!(err.is_retryable());
    assert_eq!(log.chunk_get(&seal.actor, 1).unwrap_err().code, Code::NotFound);
}

#[test]
fn json_reader() {
    let v =
        Json::parse(r#" {"a": [1, -2, {"b": null}], "c": "x\"y", "d": true, "e": {}} "#).unwrap();
    assert_eq!(v.get("a").array()[1].int(), -2);
    assert!(v.get("a").array()[2].get("b").is_null());
    assert_eq!(v.get("c").str(), "x\"y");
    assert_eq!(v.get("d"), &Json::Bool(true));
    assert!(Json::parse("[1,]").is_err());
    assert!(Json::parse("1.5").is_err());
    assert!(Json::parse("{} x").is_err());
}
