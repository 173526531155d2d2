/// The Go-template syntax of a chart's templates, read as far as kubeharden needs it: text,
/// actions `{{ ... }}` with their trim markers and comments, and the control structures `if` /
/// `else if` / `else`, `with`, `range`, `define` / `block`, closed by `end`.
///
/// Syntax as in Go's text/template (https://pkg.go.dev/text/template): "{{- " trims all
/// trailing white space of the text before it, " -}}" all leading white space of the text after
/// it (white space: space, tab, carriage return, newline); a comment is "{{/* ... */}}", with
/// optional trim markers outside the comment delimiters.
indirect enum TemplateNode: Sendable {
  /// Bytes `range` of the template file `file`.
  case text(file: Int, range: Range<Int>)
  /// An action that outputs a value (or assigns a variable); `offset` is where it starts.
  case action(String, file: Int, offset: Int)
  /// `if` / `else if` chains and `with`: each branch has a condition; `elseBody` is the final `else`.
  case branches(kind: BranchKind, conditions: [(String, [TemplateNode])], elseBody: [TemplateNode], file: Int, offset: Int)
  case range(String, body: [TemplateNode], elseBody: [TemplateNode])
}

enum BranchKind: Sendable { case ifBlock, withBlock }

/// A template file's top-level nodes and the `define`s it declares.
struct ParsedTemplate: Sendable {
  var nodes: [TemplateNode]
  var defines: [String: [TemplateNode]]
}

/// A template the reader cannot follow (unbalanced `end`, unterminated action).
struct TemplateSyntaxError: Error, Sendable {
  var offset: Int
  var message: String
}

enum TemplateParser {
  enum Token {
    case text(Range<Int>)
    case action(String, offset: Int)
  }

  static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

  /// Splits a template into text and actions, applying trim markers and dropping comments.
  static func tokens(_ bytes: [UInt8]) throws(TemplateSyntaxError) -> [Token] {
    var tokens: [Token] = []
    var i = 0
    var textStart = 0
    var trimNext = false
    let n = bytes.count
    func emitText(_ start: Int, _ end: Int, trimRight: Bool) {
      var s = start
      var e = end
      if trimNext { while s < e && isSpace(bytes[s]) { s += 1 } }
      if trimRight { while e > s && isSpace(bytes[e - 1]) { e -= 1 } }
      if s < e { tokens.append(.text(s..<e)) }
    }
    while i + 1 < n {
      guard bytes[i] == UInt8(ascii: "{") && bytes[i + 1] == UInt8(ascii: "{") else {
        i += 1
        continue
      }
      let actionStart = i
      var j = i + 2
      let trimLeft = j + 1 < n && bytes[j] == UInt8(ascii: "-") && isSpace(bytes[j + 1])
      if trimLeft { j += 2 }
      emitText(textStart, actionStart, trimRight: trimLeft)
      // Find the closing "}}" outside string literals and comments.
      var k = j
      while k < n && isSpace(bytes[k]) { k += 1 }
      let isComment = k + 1 < n && bytes[k] == UInt8(ascii: "/") && bytes[k + 1] == UInt8(ascii: "*")
      var end = -1
      if isComment {
        var m = k + 2
        while m + 1 < n {
          if bytes[m] == UInt8(ascii: "*") && bytes[m + 1] == UInt8(ascii: "/") {
            var q = m + 2
            while q < n && isSpace(bytes[q]) { q += 1 }
            if q < n && bytes[q] == UInt8(ascii: "-") { q += 1 }
            if q + 1 < n && bytes[q] == UInt8(ascii: "}") && bytes[q + 1] == UInt8(ascii: "}") {
              end = q
              break
            }
          }
          m += 1
        }
      } else {
        var m = j
        var quote: UInt8 = 0
        while m + 1 < n {
          let b = bytes[m]
          if quote != 0 {
            if b == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") {
              m += 2
              continue
            }
            if b == quote { quote = 0 }
          } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "`") || b == UInt8(ascii: "'") {
            quote = b
          } else if b == UInt8(ascii: "}") && bytes[m + 1] == UInt8(ascii: "}") {
            end = m
            break
          }
          m += 1
        }
      }
      guard end >= 0 else { throw TemplateSyntaxError(offset: actionStart, message: "unterminated action '{{'") }
      var bodyEnd = end
      let trimRight = bodyEnd - 2 >= j && bytes[bodyEnd - 1] == UInt8(ascii: "-") && isSpace(bytes[bodyEnd - 2])
      if trimRight { bodyEnd -= 2 }
      if !isComment {
        let body = String(decoding: bytes[j..<max(j, bodyEnd)], as: UTF8.self).trimmingSpaces()
        tokens.append(.action(body, offset: actionStart))
      }
      i = end + 2
      textStart = i
      trimNext = trimRight
    }
    emitText(textStart, n, trimRight: false)
    return tokens
  }

  /// Parses a template file into nodes and its `define`s.
  static func parse(_ bytes: [UInt8], file: Int) throws(TemplateSyntaxError) -> ParsedTemplate {
    let tokens = try tokens(bytes)
    var defines: [String: [TemplateNode]] = [:]
    var index = 0
    let nodes = try parseList(tokens, &index, file: file, defines: &defines, until: [])
    guard index == tokens.count else {
      if case .action(_, let offset) = tokens[index] { throw TemplateSyntaxError(offset: offset, message: "unexpected 'end'") }
      throw TemplateSyntaxError(offset: 0, message: "unexpected 'end'")
    }
    return ParsedTemplate(nodes: nodes, defines: defines)
  }

  static func keyword(_ action: String) -> (String, String) {
    let parts = action.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
    guard let first = parts.first else { return ("", "") }
    return (String(first), parts.count > 1 ? String(parts[1]).trimmingSpaces() : "")
  }

  /// Parses nodes until a token whose keyword is in `until` (left unconsumed) or the end.
  /// Control structures nested deeper than this are refused (the parser recurses per level).
  static let maxNesting = 200

  static func parseList(
    _ tokens: [Token], _ index: inout Int, file: Int, defines: inout [String: [TemplateNode]], until: Set<String>,
    depth: Int = 0
  ) throws(TemplateSyntaxError) -> [TemplateNode] {
    if depth > maxNesting {
      if index < tokens.count, case .action(_, let offset) = tokens[index] {
        throw TemplateSyntaxError(offset: offset, message: "control structures nested more than \(maxNesting) deep")
      }
      throw TemplateSyntaxError(offset: 0, message: "control structures nested more than \(maxNesting) deep")
    }
    var nodes: [TemplateNode] = []
    while index < tokens.count {
      switch tokens[index] {
      case .text(let range):
        nodes.append(.text(file: file, range: range))
        index += 1
      case .action(let body, let offset):
        let (word, rest) = keyword(body)
        if until.contains(word) { return nodes }
        switch word {
        case "if", "with":
          index += 1
          var conditions: [(String, [TemplateNode])] = []
          var condition = rest
          var elseBody: [TemplateNode] = []
          while true {
            let body = try parseList(tokens, &index, file: file, defines: &defines, until: ["else", "end"], depth: depth + 1)
            conditions.append((condition, body))
            guard index < tokens.count, case .action(let closing, let closingOffset) = tokens[index] else {
              throw TemplateSyntaxError(offset: offset, message: "'\(word)' without 'end'")
            }
            index += 1
            let (closingWord, closingRest) = keyword(closing)
            if closingWord == "end" { break }
            let (elseWord, elseRest) = keyword(closingRest)
            if elseWord == word || (elseWord == "if" && word == "if") {
              condition = elseRest
              continue
            }
            guard closingRest.isEmpty else {
              throw TemplateSyntaxError(offset: closingOffset, message: "unsupported 'else \(closingRest)'")
            }
            elseBody = try parseList(tokens, &index, file: file, defines: &defines, until: ["end", "else"], depth: depth + 1)
            guard index < tokens.count, case .action(let last, _) = tokens[index], keyword(last).0 == "end" else {
              throw TemplateSyntaxError(offset: offset, message: "'\(word)' without 'end'")
            }
            index += 1
            break
          }
          nodes.append(
            .branches(
              kind: word == "if" ? .ifBlock : .withBlock, conditions: conditions, elseBody: elseBody, file: file, offset: offset))
        case "range":
          index += 1
          let body = try parseList(tokens, &index, file: file, defines: &defines, until: ["else", "end"], depth: depth + 1)
          var elseBody: [TemplateNode] = []
          if index < tokens.count, case .action(let closing, _) = tokens[index], keyword(closing).0 == "else" {
            index += 1
            elseBody = try parseList(tokens, &index, file: file, defines: &defines, until: ["end"], depth: depth + 1)
          }
          guard index < tokens.count else { throw TemplateSyntaxError(offset: offset, message: "'range' without 'end'") }
          index += 1
          nodes.append(.range(rest, body: body, elseBody: elseBody))
        case "define", "block":
          index += 1
          let body = try parseList(tokens, &index, file: file, defines: &defines, until: ["end"], depth: depth + 1)
          guard index < tokens.count else { throw TemplateSyntaxError(offset: offset, message: "'\(word)' without 'end'") }
          index += 1
          let name = TemplateParser.firstString(rest) ?? rest
          defines[name] = body
          if word == "block" { nodes.append(.action("template " + rest, file: file, offset: offset)) }
        case "end", "else":
          return nodes  // the caller reports it
        default:
          nodes.append(.action(body, file: file, offset: offset))
          index += 1
        }
      }
    }
    return nodes
  }

  /// The first double-quoted string literal of an action's arguments.
  static func firstString(_ text: String) -> String? {
    guard let start = text.firstIndex(of: "\"") else { return nil }
    let after = text.index(after: start)
    guard let end = text[after...].firstIndex(of: "\"") else { return nil }
    return String(text[after..<end])
  }
}

extension String {
  func trimmingSpaces() -> String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
    while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
    return String(s)
  }
}
