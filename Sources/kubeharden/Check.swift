import ArgumentParser
import Foundation
import KubeHarden
import KubeHardenHelm
import KubeHardenOutput

/// Output formats of `check`.
enum CheckFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json, sarif, rdjson, github
}

/// `kubeharden check`: findings for people and machines.
struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List findings without changing files.",
    discussion: """
      Formats: text (path:line:col: severity[pass-id]: message, with the fix as a short diff; in GitHub \
      Actions also ::warning workflow commands), json, sarif (SARIF 2.1.0 with fixes), rdjson (reviewdog, \
      with suggestions), github (the body of a pull-request review with suggestion blocks).
      Exit 0 no findings, 1 findings (exempted ones and notes do not count), 2 if an input had an error.
      """)

  @OptionGroup var options: CommonOptions

  @Option(help: "Output format.")
  var format: CheckFormat = .text

  @Flag(help: "Leave exempted findings out of the output.")
  var hideExempted = false

  func validate() throws { try options.validateFlags() }

  func run() throws {
    Runner.installSignalHandlers()
    let (inputs, expansionErrors, _) = try CLI.inputs(options)  // leftovers are removed by fix only
    var reports = expansionErrors + Runner(options: options).run(inputs: inputs, readStdin: CLI.readStdin)
    if hideExempted {
      for i in reports.indices { reports[i].findings.removeAll { $0.status.isExempted } }
    }
    let rules = PassRegistry.metadata + [ChartDiagnostics.metadata]  // charts add what they cannot read
    let tool = CLI.reportTool
    let output: String
    switch format {
    case .text:
      let actions = ProcessInfo.processInfo.environment["GITHUB_ACTIONS"] == "true"
      output = TextReport.render(reports, rules: rules, githubActions: actions)
    case .json: output = JSONReport.render(reports, rules: rules, tool: tool)
    case .sarif: output = SARIFReport.render(reports, rules: rules, tool: tool)
    case .rdjson: output = RDJSONReport.render(reports, rules: rules, tool: tool)
    case .github: output = GitHubReview.render(reports, rules: rules, tool: tool)
    }
    CLI.writeStdout(output.isEmpty || output.hasSuffix("\n") ? output : output + "\n")
    CLI.printErrors(reports)
    if !options.quiet { CLI.writeStderr(TextReport.summary(reports)) }
    try CLI.stopIfInterrupted()
    if reports.contains(where: { $0.error != nil }) { throw ExitCode(2) }
    let counted = reports.flatMap { $0.findings }.contains { finding in
      !finding.status.isExempted && finding.severity != .note
    }
    if counted { throw ExitCode(1) }
  }
}
