// Two replicas of one agent session: each appends on its own, then they
// exchange diffs both ways through the wire format (as they would over a
// network) and end with equal digests.
//
//   swift run weft-sync-example
import Foundation
import Weft

/// Sends every op `from` has and `to` lacks, as encoded batches.
func sync(into to: Log, from: Log, _ label: String) throws {
    for batch in try from.diff(since: to.versionVector()) {
        let ack = try to.apply(batch)
        print("  \(label): batch of \(batch.count) bytes: \(ack.applied.count) applied, "
              + "\(ack.duplicates.count) duplicates, \(ack.rejected.count) rejected")
    }
}

func hex(_ bytes: Data) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

do {
    let laptop = try Log()
    let server = try Log()
    print("libweft \(WeftLibrary.version)")
    print("laptop actor \(laptop.actor), server actor \(server.actor)")

    try laptop.append(Data(#"{"role":"user","text":"plan the trip"}"#.utf8), kind: 1)
    try laptop.append(Data(#"{"tool":"search","query":"trains"}"#.utf8), kind: 2)
    try server.append(Data(#"{"role":"assistant","text":"on it"}"#.utf8), kind: 1)

    try sync(into: server, from: laptop, "laptop -> server")
    try sync(into: laptop, from: server, "server -> laptop")

    let a = try laptop.digest()
    let b = try server.digest()
    print("laptop digest \(hex(a))")
    print("server digest \(hex(b))")
    guard a == b, try laptop.canonicalOrder() == server.canonicalOrder() else {
        print("replicas differ")
        exit(1)
    }
    print("converged: \(laptop.cursor) ops, equal digests")
} catch {
    print("error: \(error)")
    exit(1)
}
