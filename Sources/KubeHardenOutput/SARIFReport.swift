import Foundation
import KubeHarden
import YAMLSource

/// The `--format sarif` report: a SARIF 2.1.0 log with one run, for GitHub code scanning and
/// other SARIF viewers.
///
/// - Columns: the run sets `columnKind: unicodeCodePoints`, because finding columns count Unicode
///   scalars (SARIF's default is UTF-16 code units). A BOM is not counted.
/// - Locations: `artifactLocation.uri` is the path as given, percent-encoded; a relative path
///   stays a relative reference, an absolute path becomes a `file://` URI.
/// - Fixes: a fixable finding carries one `fix` whose replacements are its own edits. Each
///   `deletedRegion` gives `byteOffset`/`byteLength` and the same span as lines and columns of
///   the original bytes. Several findings may list the same edit (one insertion that fixes three
///   of them); apply one fix per edit, or `kubeharden fix`, not every fix blindly.
/// - Exempted findings have a suppression (`inSource` with the annotation's location when the
///   exemption comes from an annotation, `external` when it comes from the configuration);
///   manual ones say why in `properties.manualReason`. Every result has
///   `properties.fixStatus` (`fixable`, `exempted`, `manual`).
/// - Files that could not be processed appear as error notifications of the invocation, which
///   is then not `executionSuccessful`.
public enum SARIFReport {
  public static let schemaURI =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

  public static func render(_ reports: [FileReport], rules: [PassMetadata], tool: ReportTool) -> String {
    var ruleIndex: [String: Int] = [:]
    var ruleObjects: [Any] = []
    for rule in rules where ruleIndex[rule.id] == nil {
      ruleIndex[rule.id] = ruleObjects.count
      ruleObjects.append(ruleObject(rule, tool: tool))
    }

    var results: [Any] = []
    var notifications: [Any] = []
    for report in reports {
      let uri = artifactURI(report.path)
      if let error = report.error {
        notifications.append(
          [
            "level": "error",
            "message": ["text": error.message],
            "locations": [
              [
                "physicalLocation": [
                  "artifactLocation": ["uri": uri], "region": ["startLine": max(1, error.line), "startColumn": max(1, error.column)],
                ]
              ]
            ],
          ] as [String: Any])
      }
      let lines = ReportLines(report.original)
      for finding in report.findings {
        results.append(resultObject(finding, uri: uri, lines: lines, ruleIndex: ruleIndex[finding.passID]))
      }
    }

    var driver: [String: Any] = [
      "name": tool.name, "version": tool.version, "informationUri": tool.informationURI, "rules": ruleObjects,
    ]
    if isSemanticVersion(tool.version) { driver["semanticVersion"] = tool.version }
    var invocation: [String: Any] = ["executionSuccessful": notifications.isEmpty]
    if !notifications.isEmpty { invocation["toolExecutionNotifications"] = notifications }
    let run: [String: Any] = [
      "tool": ["driver": driver],
      "columnKind": "unicodeCodePoints",
      "invocations": [invocation],
      "results": results,
    ]
    return ReportSupport.json(["$schema": schemaURI, "version": "2.1.0", "runs": [run]])
  }

  // MARK: Rules

  static func ruleObject(_ rule: PassMetadata, tool: ReportTool) -> [String: Any] {
    let helpURI = tool.ruleURL(rule.id)
    var text = "\(rule.title)\n\n\(rule.rationale)\n\nFix: \(rule.fixDescription)"
    var markdown = "**\(rule.title)**\n\n\(rule.rationale)\n\n**Fix:** \(rule.fixDescription)"
    if !rule.references.isEmpty {
      text += "\n\nReferences:\n" + rule.references.map { "- \($0.label): \($0.url)" }.joined(separator: "\n")
      markdown += "\n\n**References:**\n\n" + rule.references.map { "- [\($0.label)](\($0.url))" }.joined(separator: "\n")
    }
    markdown += "\n\n[Documentation](\(helpURI))"
    return [
      "id": rule.id,
      "name": pascalCase(rule.id),
      "shortDescription": ["text": rule.title],
      "fullDescription": ["text": rule.rationale],
      "help": ["text": text, "markdown": markdown],
      "helpUri": helpURI,
      "defaultConfiguration": ["level": level(rule.severity), "enabled": rule.enabledByDefault],
      "properties": properties(rule),
    ]
  }

  /// A rule's tags and severity, and for a Pod Security check its profile and PSA check ids
  /// (`podSecurityProfile`, `podSecurityChecks`).
  static func properties(_ rule: PassMetadata) -> [String: Any] {
    var properties: [String: Any] = ["tags": tags(rule), "security-severity": securitySeverity(rule.severity)]
    if let podSecurity = rule.podSecurity {
      properties["podSecurityProfile"] = podSecurity.profile.rawValue
      properties["podSecurityChecks"] = podSecurity.checks
    }
    return properties
  }

  static func tags(_ rule: PassMetadata) -> [String] {
    var tags = ["security", "kubernetes"]
    for reference in rule.references {
      let tag: String
      switch reference {
      case .owasp(let id): tag = "owasp-\(id)"
      case .pss(_, let profile): tag = "pss-\(profile.lowercased())"
      case .cis(let id): tag = "cis-\(id)"
      case .checkov(let id): tag = "checkov-\(id)"
      case .kubernetes: tag = "kubernetes-docs"
      }
      if !tags.contains(tag) { tags.append(tag) }
    }
    return tags
  }

  /// GitHub code scanning's numeric severity, used to rank security alerts.
  static func securitySeverity(_ severity: Severity) -> String {
    switch severity {
    case .error: return "8.0"
    case .warning: return "5.0"
    case .note: return "2.0"
    }
  }

  static func level(_ severity: Severity) -> String {
    switch severity {
    case .error: return "error"
    case .warning: return "warning"
    case .note: return "note"
    }
  }

  /// `no-privileged` → `NoPrivileged`.
  static func pascalCase(_ id: String) -> String {
    id.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { $0.prefix(1).uppercased() + $0.dropFirst() }
      .joined()
  }

  static func isSemanticVersion(_ version: String) -> Bool {
    let core = version.split(separator: "-", maxSplits: 1).first.map(String.init) ?? ""
    let parts = core.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
  }

  // MARK: Results

  static func resultObject(_ finding: Finding, uri: String, lines: ReportLines, ruleIndex: Int?) -> [String: Any] {
    var result: [String: Any] = [
      "ruleId": finding.passID,
      "level": level(finding.severity),
      "message": ["text": finding.message],
      "locations": [
        ["physicalLocation": ["artifactLocation": ["uri": uri], "region": region(finding.start, finding.end)]]
      ],
    ]
    if let ruleIndex { result["ruleIndex"] = ruleIndex }
    var properties: [String: Any] = ["fixStatus": finding.status.kind]
    if let applicability = finding.applicability { properties["applicability"] = applicability.rawValue }
    switch finding.status {
    case .fixable:
      if let fix = finding.fix, !fix.edits.isEmpty {
        let replacements: [Any] = ReportSupport.ordered(fix.edits).map { replacement($0, lines: lines) }
        result["fixes"] = [
          [
            "description": ["text": fix.applicability == .unsafe ? "\(fix.title) (unsafe fix)" : fix.title],
            "artifactChanges": [["artifactLocation": ["uri": uri], "replacements": replacements]],
          ] as [String: Any]
        ]
      }
    case .exempted(let reason, let location):
      var suppression: [String: Any] = ["kind": location == nil ? "external" : "inSource", "status": "accepted", "justification": reason]
      if let location {
        suppression["location"] = [
          "physicalLocation": ["artifactLocation": ["uri": uri], "region": region(location, location)]
        ]
      }
      result["suppressions"] = [suppression]
    case .unfixable(let reason):
      properties["manualReason"] = reason
    }
    result["properties"] = properties
    return result
  }

  static func region(_ start: SourceLocation, _ end: SourceLocation) -> [String: Any] {
    [
      "startLine": max(1, start.line), "startColumn": max(1, start.column),
      "endLine": max(1, end.line), "endColumn": max(1, end.column),
    ]
  }

  static func replacement(_ edit: Edit, lines: ReportLines) -> [String: Any] {
    var deleted = region(lines.location(edit.range.lowerBound), lines.location(edit.range.upperBound))
    deleted["byteOffset"] = edit.range.lowerBound
    deleted["byteLength"] = edit.range.count
    var object: [String: Any] = ["deletedRegion": deleted]
    if !edit.replacement.isEmpty { object["insertedContent"] = ["text": edit.text] }
    return object
  }

  // MARK: URIs

  /// The path as a URI reference: relative stays relative, absolute becomes `file://`; every
  /// byte outside RFC 3986 `unreserved` and `/` is percent-encoded (so `:` never looks like a
  /// scheme and `\` is kept as a character, not a separator).
  public static func artifactURI(_ path: String) -> String {
    var encoded = ""
    for byte in path.utf8 {
      let isUnreserved =
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
        || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        || [UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/")].contains(byte)
      if isUnreserved {
        encoded.unicodeScalars.append(Unicode.Scalar(byte))
      } else {
        encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
      }
    }
    return path.hasPrefix("/") ? "file://" + encoded : encoded
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
