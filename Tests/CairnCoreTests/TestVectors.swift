@testable import CairnCore

/// The hex test vectors of Docs/PROTOCOL.md, produced independently by scripts/protocol-vectors.py.
struct BlobVector: Sendable, CustomStringConvertible {
    let seed: String
    let author: String
    let channel: String
    let seq: UInt64
    let prev: String
    let timestamp: UInt64
    let payload: String
    let encoding: String
    let id: String
    var description: String { "\(channel)#\(seq)" }
}

enum TestVectors {
    static let blobs: [BlobVector] = [
        BlobVector(
            seed: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            author: "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8",
            channel: "main",
            seq: 1,
            prev: "0000000000000000000000000000000000000000000000000000000000000000",
            timestamp: 1700000000000,
            payload: "68656c6c6f2c20636169726e",
            encoding: "0103a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8046d61696e00000000000000010000"
                + "0000000000000000000000000000000000000000000000000000000000000000018bcfe568000000000c68656c6c6f2c"
                + "20636169726eb6125fee7f22b1c9293cdb3734050ddfdfbd7fd5fadbe4d3ae30e13e4db4a691a95bdeeb676eadc72735"
                + "8a3f2f8bf9d11ba296ca3770bfe0d802f89fd521ec07",
            id: "12c5f6a40307521d5c1f75cd0772466a23b5a2120aa095bcd26c6dcf2ffba62c"
        ),
        BlobVector(
            seed: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            author: "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8",
            channel: "main",
            seq: 2,
            prev: "12c5f6a40307521d5c1f75cd0772466a23b5a2120aa095bcd26c6dcf2ffba62c",
            timestamp: 1700000001000,
            payload: "",
            encoding: "0103a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8046d61696e000000000000000212c5"
                + "f6a40307521d5c1f75cd0772466a23b5a2120aa095bcd26c6dcf2ffba62c0000018bcfe56be800000000bc676967c7e9"
                + "0aac8f96350b10525123d5f112e73ebc5bc6e1c660321a00ddf1b7aabbe582dbd8258b618d651f19367d3f281c775978"
                + "91a07815a7fc7491a60d",
            id: "1f150254a29d9c3920f7f2c47a6bf502703b6e98604224ddff392b5c19ecbff0"
        ),
        BlobVector(
            seed: "4242424242424242424242424242424242424242424242424242424242424242",
            author: "2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12",
            channel: "caf\u{e9}/\u{fc}n\u{ef}",
            seq: 7,
            prev: "38fb6aa1bcee34cef0725446ca3ac36583f76e00db9c50c912d965c85452adfa",
            timestamp: 0,
            payload: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
                + "303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
                + "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f"
                + "909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                + "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
                + "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
            encoding: "012152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db120b636166c3a92fc3bc6ec3af000000"
                + "000000000738fb6aa1bcee34cef0725446ca3ac36583f76e00db9c50c912d965c85452adfa0000000000000000000001"
                + "00000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e"
                + "2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e"
                + "5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e"
                + "8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbe"
                + "bfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedee"
                + "eff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff64e537d80a2ba8428d52ae39c404a8f56a9deee78b9e55f4165e2f8c8f6b3b"
                + "3fee5da116280060e73d594c91585505e97ec37e2fce068486aa7096ca7e62b503",
            id: "00ea61fc939307f8e867b42fd9a5800106a0493377322b1f9fc68cd3e55028d2"
        ),
    ]

    /// The channel-fork evidence id over the ids of vectors 1 and 2.
    static let evidenceIDOfFirstTwo = "68af59d18780813c0e6104df54a0b2835087aba165ee608344f0e4297fef7e80"
}
