import ArgumentParser
import Foundation
import KubeHarden
import KubeHardenOutput

/// How to colour output.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
  case auto, always, never

  /// auto: only on a terminal, and not when NO_COLOR is set.
  var enabled: Bool {
    switch self {
    case .always: return true
    case .never: return false
    case .auto:
      let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
      return !noColor && isatty(STDOUT_FILENO) == 1
    }
  }
}

/// `kubeharden diff`: the patch `fix` would apply, for review.
struct Diff: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print a unified diff of what 'fix' would change (for 'git apply' or 'patch -p1').",
    discussion: "Exit 1 if there is any change, 0 if none, 2 if an input had an error.")

  @OptionGroup var options: CommonOptions

  @Option(name: .customShort("U"), help: "Lines of context.")
  var context: Int = 3

  @Option(help: "Colour the diff: auto (terminal only, honours NO_COLOR), always, never.")
  var color: ColorChoice = .auto

  @Option(help: "The path the patch names for standard input ('-'), relative to where it is applied.")
  var stdinFilename: String?

  func validate() throws {
    try options.validateFlags()
    guard context >= 0 else { throw ValidationError("-U must be 0 or more") }
  }

  func run() throws {
    Runner.installSignalHandlers()
    let (inputs, expansionErrors, _) = try CLI.inputs(options)  // leftovers are removed by fix only
    let reports = expansionErrors + Runner(options: options).run(inputs: inputs, readStdin: CLI.readStdin)
    let useColor = color.enabled
    var output = ""
    for report in reports where report.changed {
      output += UnifiedDiff.render(
        path: patchPath(report.path), original: report.original, edits: report.edits, context: context, color: useColor)
    }
    CLI.writeStdout(output)
    CLI.printErrors(reports)
    if !options.quiet { CLI.writeStderr(TextReport.summary(reports, changed: reports.filter(\.changed).count)) }
    try CLI.stopIfInterrupted()
    if reports.contains(where: { $0.error != nil }) { throw ExitCode(2) }
    if reports.contains(where: { $0.changed }) { throw ExitCode(1) }
  }

  /// The path in the patch's headers, as `git apply` and `patch -p1` run from the working
  /// directory take it: relative to it. A path outside it, or standard input without
  /// `--stdin-filename`, gets a note on standard error saying how the patch names it.
  func patchPath(_ path: String) -> String {
    if path == "<stdin>" || path == "-" {
      if let stdinFilename { return Review.repositoryPath(stdinFilename) }
      CLI.writeStderr("kubeharden diff: note: standard input has no file name: the patch names it '-'; give --stdin-filename PATH\n")
      return "-"
    }
    guard path.hasPrefix("/") else { return path }
    let path = URL(fileURLWithPath: path).standardizedFileURL.path  // no `..` for git apply to refuse
    let cwd = FileManager.default.currentDirectoryPath
    let base = cwd.hasSuffix("/") ? cwd : cwd + "/"
    if path.hasPrefix(base) { return String(path.dropFirst(base.count)) }
    CLI.writeStderr(
      "kubeharden diff: note: \(path) is outside the working directory: the patch names it from the root (apply it in /, or with patch -p1 -d /)\n")
    return String(path.drop(while: { $0 == "/" }))
  }
}
