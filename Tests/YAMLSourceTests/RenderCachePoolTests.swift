import Dispatch
import Synchronization
import XCTest

@testable import YAMLSource

/// The pool of render caches: a cache is reused by the next caller, never held by two callers
/// at once, and the pool keeps no more caches than its limit.
final class RenderCachePoolTests: XCTestCase {
  func testTheNextCallerGetsTheCacheBack() {
    let pool = MappingEditor.RenderCachePool()
    let first = pool.withCache { ObjectIdentifier($0) }
    let second = pool.withCache { ObjectIdentifier($0) }
    XCTAssertEqual(first, second, "a cache given back is handed out again")
  }

  func testACacheInUseIsNotHandedOut() {
    let pool = MappingEditor.RenderCachePool()
    pool.withCache { _ in }  // one cache idle in the pool
    pool.withCache { outer in
      pool.withCache { inner in XCTAssertFalse(outer === inner, "two holders got the same cache") }
    }
  }

  func testThePoolKeepsAtMostItsLimit() {
    let pool = MappingEditor.RenderCachePool(limit: 1)
    // The caches themselves, not their identifiers: a cache the pool drops must stay alive
    // here, or a new one could reuse its address.
    var held: [MappingEditor.RenderCache] = []
    pool.withCache { a in
      pool.withCache { b in held = [a, b] }
    }
    // Both were given back; only the first one back (the inner one) was kept.
    let next = pool.withCache { a in pool.withCache { b in (a, b) } }
    XCTAssertTrue(next.0 === held[1], "the kept cache is handed out first")
    XCTAssertFalse(held.contains { $0 === next.1 }, "a cache over the limit was kept")
  }

  func testRemoveAllDropsTheIdleCaches() {
    let pool = MappingEditor.RenderCachePool()
    let first = pool.withCache { $0 }
    pool.removeAll()
    let second = pool.withCache { $0 }
    XCTAssertFalse(first === second, "a dropped cache was handed out again")
  }

  func testConcurrentCallersNeverShareACache() {
    let pool = MappingEditor.RenderCachePool()
    let inUse = Mutex<Set<ObjectIdentifier>>([])
    let shared = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      for _ in 0..<2_000 {
        pool.withCache { cache in
          let id = ObjectIdentifier(cache)
          if !inUse.withLock({ $0.insert(id).inserted }) { shared.add(1, ordering: .relaxed) }
          cache.blocks.removeAll()  // touch it, as an editor would
          inUse.withLock { _ = $0.remove(id) }
        }
      }
    }
    XCTAssertEqual(shared.load(ordering: .relaxed), 0, "a cache was held by two callers at once")
  }

  /// Editors that share a cache across documents render a block once and get the same lines
  /// for the same entries and layout, whichever document asks.
  func testACachedBlockIsTheSameAsAFreshOne() throws {
    let pool = MappingEditor.RenderCachePool()
    let texts = ["a:\n  b: 1\n", "x:\n    y: 2\n", "a:\n  b: 1\n"]
    for text in texts {
      let bytes = Array(text.utf8)
      let document = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(bytes)).first)
      let root = try XCTUnwrap(document.root)
      let mapping = document.resolved(try XCTUnwrap(MappingEditor(document).lookup(root, text.hasPrefix("a") ? "a" : "x")).value)
      let entries = [NewEntry("securityContext", .mapping([NewEntry("runAsNonRoot", .bool(true))]))]
      let fresh = try EditSet(try MappingEditor(document).insert(entries, into: mapping)).apply(to: bytes)
      let cached = try pool.withCache { cache in
        try EditSet(try MappingEditor(document, renderCache: cache).insert(entries, into: mapping)).apply(to: bytes)
      }
      XCTAssertEqual(String(decoding: cached, as: UTF8.self), String(decoding: fresh, as: UTF8.self))
    }
  }
}
