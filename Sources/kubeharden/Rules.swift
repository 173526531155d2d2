import ArgumentParser
import KubeHarden

/// `kubeharden rules`: the passes, from their metadata.
struct Rules: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "List the fix passes: id, title, on by default.")

  @Flag(help: "Print the passes as the Markdown table used in the README.")
  var markdown = false

  func run() throws {
    let metadata = PassRegistry.metadata
    if markdown {
      CLI.writeStdout(PassMetadata.markdownTable(metadata))
      return
    }
    let width = metadata.map { $0.id.count }.max() ?? 0
    var text = ""
    for meta in metadata {
      text += meta.id.padding(width) + "  " + (meta.enabledByDefault ? "on " : "off") + "  " + meta.title + "\n"
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
    var text = "\(meta.id): \(meta.title)\n"
    text += "Severity: \(meta.severity.rawValue); on by default: \(meta.enabledByDefault ? "yes" : "no")\n\n"
    text += "Why:\n  \(meta.rationale)\n\nWhat it writes:\n  \(meta.fixDescription)\n"
    if !meta.configKeys.isEmpty {
      text += "\nConfiguration (.kubeharden.yaml key, flag):\n"
      for key in meta.configKeys { text += "  \(key.key)\(key.flag.map { ", \($0)" } ?? ""): \(key.summary)\n" }
    }
    text += "\nExempt a workload: annotation kubeharden.io/skip: \"\(meta.id)\" (or kubeharden.io/skip.<container>: \"\(meta.id)\")\n"
    text += "\nReferences:\n"
    for reference in meta.references { text += "  - \(reference.label) <\(reference.url)>\n" }
    if let example = meta.triggering.first, let fixed = example.output {
      text += "\nExample input:\n" + indent(example.input) + "\nFixed:\n" + indent(fixed)
    }
    CLI.writeStdout(text)
  }

  func indent(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") + "\n"
  }
}

extension String {
  func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
