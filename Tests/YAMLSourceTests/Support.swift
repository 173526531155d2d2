import Foundation
import XCTest
import YAMLSource

/// Finds `../shared` next to the repository; tests that need it skip with a visible message
/// where it is absent (a user's clone). CI always has it.
enum Shared {
  static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static var root: URL? {
    if let env = ProcessInfo.processInfo.environment["KUBEHARDEN_SHARED"] { return URL(fileURLWithPath: env) }
    let candidate = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
    return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
  }

  static func require() throws -> URL {
    guard let root else {
      let message = "SKIPPED: ../shared is not present next to the repository; corpus tests need it"
      print(message)
      throw XCTSkip(message)
    }
    return root
  }

  /// Every file under `dir` with one of the extensions, sorted.
  static func files(under dir: URL, extensions: Set<String>) -> [URL] {
    guard let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
    var result: [URL] = []
    for case let url as URL in walker where extensions.contains(url.pathExtension) {
      result.append(url)
    }
    return result.sorted { $0.path < $1.path }
  }

  static func bytes(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }
}

/// A structural dump of a document's data, for comparing what two texts mean.
enum DataDump {
  static func dump(_ doc: Document, extra: (NodeID, String)? = nil) -> String {
    guard let root = doc.root else { return "<empty>" }
    var out = ""
    write(doc, root, extra: extra, into: &out, depth: 0)
    return out
  }

  static func write(_ doc: Document, _ node: NodeID, extra: (NodeID, String)?, into out: inout String, depth: Int) {
    guard depth < 200 else { out += "…"; return }
    switch doc.kind(node) {
    case .scalar:
      let kind = doc.isPlainUntagged(node) ? "p" : (doc.tag(node) ?? "q")
      out += "\(kind):\(doc.string(node) ?? "")"
    case .alias:
      if let target = doc.aliasTarget(node) {
        out += "*(" + (doc.string(target) ?? "\(doc.kind(target))") + ")"
      } else {
        out += "*?"
      }
    case .sequence:
      out += "[" + (doc.tag(node) ?? "")
      for item in doc.items(node) {
        write(doc, item, extra: extra, into: &out, depth: depth + 1)
        out += ","
      }
      out += "]"
    case .mapping:
      out += "{" + (doc.tag(node) ?? "")
      // New entries go before the last key where nothing may follow the last entry.
      let before = extra.flatMap { $0.0 == node ? doc.keyBeforeOpenBlockScalar(in: node) : nil }
      for entry in doc.entries(node) {
        if let extra, entry.key == before { out += extra.1 }
        write(doc, entry.key, extra: extra, into: &out, depth: depth + 1)
        out += "="
        write(doc, entry.value, extra: extra, into: &out, depth: depth + 1)
        out += ","
      }
      if let extra, extra.0 == node, before == nil { out += extra.1 }
      out += "}"
    }
  }
}
