import CairnCore
import CairnQuorum
import Foundation
import Testing

@testable import CairnRatify

/// The ratification payloads against `scripts/ratify-vectors.py` (an encoder written from Docs/RATIFY.md alone).
@Suite struct RatifyVectorTests {
    static let genesis = GenesisHash(
        hex: "a36585cc5a7206f0db5f30bed5f63e33ea93dce5c7f4f1f814d25ef1a7ae5e0a"
    )!
    static let root = TreeRoot(unchecked: Blake2b.hash256(Array("tree a".utf8)))

    @Test func theVoteVector() {
        #expect(Self.root.hex == "9b0896669e84fd6da0ff7faf252e9600b5aab92699fb45182a3548c5158a108f")
        #expect(
            Hex.encode(RatifyVote(genesis: Self.genesis, root: Self.root, yes: true).encoding)
                == "a36585cc5a7206f0db5f30bed5f63e33ea93dce5c7f4f1f814d25ef1a7ae5e0a"
                + "019b0896669e84fd6da0ff7faf252e9600b5aab92699fb45182a3548c5158a10" + "8f01"
        )
    }

    @Test func theManifestPartVector() throws {
        let part = try RatifyManifestPart(genesis: Self.genesis, chunk: Array("manifest bytes".utf8))
        #expect(
            Hex.encode(part.encoding)
                == "a36585cc5a7206f0db5f30bed5f63e33ea93dce5c7f4f1f814d25ef1a7ae5e0a" + "016d616e6966657374206279746573"
        )
    }

    @Test func theProposalVector() throws {
        let proposal = try RatifyProposal(
            genesis: Self.genesis,
            root: Self.root,
            title: "release 1.0",
            parts: ["part 1", "part 2"].map { BlobID(unchecked: Blake2b.hash256(Array($0.utf8))) }
        )
        #expect(
            Hex.encode(proposal.encoding)
                == "a36585cc5a7206f0db5f30bed5f63e33ea93dce5c7f4f1f814d25ef1a7ae5e0a"
                + "019b0896669e84fd6da0ff7faf252e9600b5aab92699fb45182a3548c5158a10"
                + "8f000b72656c6561736520312e300002b1e4e2de403bd58f74cebf024f4790e4"
                + "e4b7677a63518df0abbded9f7caa6d5726be5bb2557a694afedffb1fb8b71544"
                + "a3cc5451942dfd18da6977ff8cb70584"
        )
    }
}
