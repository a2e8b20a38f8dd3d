import CairnCore
import Foundation

extension SigningProtection {
    /// The export of a signing-protection record, in the manner of EIP-3076: metadata naming the format and the
    /// network, then per key the signatures it made.
    public struct Interchange: Sendable, Codable, Equatable {
        /// The format's name in `metadata.interchange_format`.
        public static let format = "cairn-quorum-protection"
        /// The format's version in `metadata.interchange_format_version`.
        public static let version = "1"

        /// What the document is and which network it belongs to.
        public struct Metadata: Sendable, Codable, Equatable {
            /// Always `Interchange.format`.
            public let interchangeFormat: String
            /// Always `Interchange.version`.
            public let interchangeFormatVersion: String
            /// The genesis hash, hex.
            public let genesisHash: String

            enum CodingKeys: String, CodingKey {
                case interchangeFormat = "interchange_format"
                case interchangeFormatVersion = "interchange_format_version"
                case genesisHash = "genesis_hash"
            }
        }

        /// One key's signatures.
        public struct Signer: Sendable, Codable, Equatable {
            /// The public key, hex.
            public let pubkey: String
            /// What it signed.
            public let signedSignatures: [Record]

            enum CodingKeys: String, CodingKey {
                case pubkey
                case signedSignatures = "signed_signatures"
            }
        }

        /// The header.
        public let metadata: Metadata
        /// The keys and their signatures.
        public let data: [Signer]
    }

    /// The record as an export for `key` on `genesis`.
    public func export(key: PublicKey, genesis: GenesisHash) -> Interchange {
        Interchange(
            metadata: .init(
                interchangeFormat: Interchange.format,
                interchangeFormatVersion: Interchange.version,
                genesisHash: genesis.hex
            ),
            data: [.init(pubkey: key.hex, signedSignatures: records)]
        )
    }

    /// The export as JSON text, keys sorted, pretty-printed.
    public func exportJSON(key: PublicKey, genesis: GenesisHash) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        // Strings and arrays of strings always encode.
        return try! encoder.encode(export(key: key, genesis: genesis))
    }

    /// The records an export holds for `key` on `genesis`.
    /// - Throws: `SigningProtectionError` when the document is not an export, is for another genesis, or holds
    ///   another key's records.
    public static func records(importing json: Data, key: PublicKey, genesis: GenesisHash)
        throws(SigningProtectionError) -> [Record]
    {
        let document: Interchange
        do {
            document = try JSONDecoder().decode(Interchange.self, from: json)
        } catch {
            throw .malformedInterchange(reason: "\(error)")
        }
        guard document.metadata.interchangeFormat == Interchange.format,
            document.metadata.interchangeFormatVersion == Interchange.version
        else {
            throw .malformedInterchange(
                reason: "format \"\(document.metadata.interchangeFormat)\" version "
                    + "\"\(document.metadata.interchangeFormatVersion)\", expected \"\(Interchange.format)\" "
                    + "version \"\(Interchange.version)\""
            )
        }
        guard document.metadata.genesisHash.lowercased() == genesis.hex else {
            throw .otherGenesis(expected: genesis, found: document.metadata.genesisHash)
        }
        var records: [Record] = []
        for signer in document.data {
            guard signer.pubkey.lowercased() == key.hex else { throw .otherKey(expected: key, found: signer.pubkey) }
            records += signer.signedSignatures
        }
        return records
    }
}
