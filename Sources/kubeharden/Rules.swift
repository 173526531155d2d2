import ArgumentParser
import KubeHarden

/// `kubeharden rules`: the passes, from their metadata.
struct Rules: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "List the fix passes: id, on by default, Pod Security profile, title.")

  @Flag(help: "Print the passes as the Markdown table used in the README.")
  var markdown = false

  @Flag(help: "Print docs/rules.md: every pass explained.")
  var docs = false

  func run() throws {
    let metadata = PassRegistry.metadata
    if docs {
      CLI.writeStdout(PassMetadata.rulesDocument(metadata))
      return
    }
    if markdown {
      CLI.writeStdout(PassMetadata.markdownTable(metadata))
      return
    }
    let width = metadata.map { $0.id.count }.max() ?? 0
    var text = ""
    for meta in metadata {
      let profile = (meta.podSecurity?.profile.rawValue ?? "-").padding("restricted".count)
      text += meta.id.padding(width) + "  " + (meta.enabledByDefault ? "on " : "off") + "  " + profile + "  " + meta.title + "\n"
    }
    CLI.writeStdout(text)
  }
}

/// `kubeharden explain ID`: everything about one pass, from its metadata.
struct Explain: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Explain a pass: rationale, what it writes, config keys, references.")

  @Argument(help: "A pass id (see 'kubeharden rules').")
  var id: String

  func validate() throws {
    guard PassRegistry.pass(id: id) != nil else {
      throw ValidationError("unknown pass '\(id)'; known passes: \(PassRegistry.ids.joined(separator: ", "))")
    }
  }

  func run() throws {
    guard let meta = PassRegistry.pass(id: id)?.metadata else { return }
    CLI.writeStdout(meta.explanation)
  }
}

extension String {
  func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
