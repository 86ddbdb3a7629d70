using System.Net;
using Overlay.Netlink.Tests.Support;

namespace Overlay.Netlink.Tests.Unit;

/// <summary>
/// Our nf_tables batches against the <c>nft -f</c> transactions captured with strace
/// (TestData/Captures/nft-*.strace; the .nft files next to them are what nft read). Every message
/// of the batch is compared attribute by attribute, in order (nested attributes expanded), except
/// for the sequence numbers and NLM_F_ACK: we ask the kernel to acknowledge each operation so the
/// client knows the outcome; nft 1.0 does not.
/// </summary>
public sealed class NftGoldenTests
{
    private static readonly IPNetwork Cluster = IPNetwork.Parse("198.19.0.0/16");
    private static readonly IPNetwork Pod = IPNetwork.Parse("198.19.3.0/24");

    [Fact]
    public void Flannel_ipv4_forward_and_masquerade_transaction_matches_nft_f()
    {
        var t = new NftTransaction();
        FlannelRules(t, NftFamily.IPv4, "flannel-ipv4", Cluster, Pod, IPNetwork.Parse("224.0.0.0/4"), fullyRandom: true);
        AssertBatchEquals("nft-flannel-ipv4", t);
    }

    [Fact]
    public void Flannel_ipv6_transaction_matches_nft_f()
    {
        var t = new NftTransaction();
        FlannelRules(t, NftFamily.IPv6, "flannel-ipv6", IPNetwork.Parse("2001:db8:19::/48"), IPNetwork.Parse("2001:db8:19:3::/64"), IPNetwork.Parse("ff00::/8"), fullyRandom: false);
        AssertBatchEquals("nft-flannel-ipv6", t);
    }

    [Fact]
    public void Unaligned_prefixes_use_bitwise_like_nft()
    {
        var t = new NftTransaction();
        foreach ((NftFamily f, string s, string d) in new[] { (NftFamily.IPv4, "198.19.0.0/15", "198.18.0.128/25"), (NftFamily.IPv6, "2001:db8:19::/44", "2001:db8:18::/63") })
        {
            t.AddTable(new NftTable { Family = f, Name = "ovltest" });
            t.AddChain(new NftChain { Family = f, Table = "ovltest", Name = "c" });
            t.AddRule(new NftRule { Family = f, Table = "ovltest", Chain = "c", Expressions = [.. NftMatch.SourcePrefix(IPNetwork.Parse(s)), .. NftMatch.DestinationPrefix(IPNetwork.Parse(d)), new NftImmediateExpression(NftVerdict.Drop)] });
        }

        AssertBatchEquals("nft-prefixes", t);
    }

    [Fact]
    public void Delete_table_matches_nft_delete_table()
    {
        AssertBatchEquals("nft-delete-table", new NftTransaction().DeleteTable(NftFamily.IPv4, "flannel-ipv4"));
    }

    [Fact]
    public void Delete_rule_by_handle_matches_nft_delete_rule()
    {
        AssertBatchEquals("nft-delete-rule", new NftTransaction().DeleteRule(NftFamily.IPv4, "t", "c", 2));
    }

    /// <summary>flannel's nftables rules (spec §5.3) as the .nft capture files spell them.</summary>
    internal static void FlannelRules(NftTransaction t, NftFamily family, string table, IPNetwork cluster, IPNetwork pod, IPNetwork multicast, bool fullyRandom)
    {
        t.AddTable(new NftTable { Family = family, Name = table, Comment = "rules for " + table });
        t.AddChain(new NftChain { Family = family, Table = table, Name = "forward", Type = "filter", Hook = NftHook.Forward, Priority = 0, Policy = NftVerdict.Accept, Comment = "chain to accept flannel traffic" });
        t.FlushChain(family, table, "forward");
        t.AddRule(Rule(family, table, "forward", [.. NftMatch.SourcePrefix(cluster), new NftImmediateExpression(NftVerdict.Accept)]));
        t.AddRule(Rule(family, table, "forward", [.. NftMatch.DestinationPrefix(cluster), new NftImmediateExpression(NftVerdict.Accept)]));
        t.AddChain(new NftChain { Family = family, Table = table, Name = "postrtg", Type = "nat", Hook = NftHook.Postrouting, Priority = 100, Comment = "chain to manage traffic masquerading by flannel" });
        t.FlushChain(family, table, "postrtg");
        var ret = new NftImmediateExpression(NftVerdict.Return);
        t.AddRule(Rule(family, table, "postrtg", [.. NftMatch.MarkEquals(0x4000), ret]));
        t.AddRule(Rule(family, table, "postrtg", [.. NftMatch.SourcePrefix(pod), .. NftMatch.DestinationPrefix(cluster), ret]));
        t.AddRule(Rule(family, table, "postrtg", [.. NftMatch.SourcePrefix(cluster), .. NftMatch.DestinationPrefix(pod), ret]));
        t.AddRule(Rule(family, table, "postrtg", [.. NftMatch.SourcePrefix(pod, negate: true), .. NftMatch.DestinationPrefix(cluster), ret]));
        t.AddRule(Rule(family, table, "postrtg", [.. NftMatch.SourcePrefix(cluster), .. NftMatch.DestinationPrefix(multicast, negate: true), new NftMasqueradeExpression(fullyRandom)]));
        t.AddRule(Rule(family, table, "postrtg", [.. NftMatch.SourcePrefix(cluster, negate: true), .. NftMatch.DestinationPrefix(cluster), new NftMasqueradeExpression(fullyRandom)]));
    }

    private static NftRule Rule(NftFamily family, string table, string chain, NftExpression[] expressions) =>
        new() { Family = family, Table = table, Chain = chain, Expressions = expressions };

    private static void AssertBatchEquals(string capture, NftTransaction transaction)
    {
        StraceCapture c = StraceCapture.Load(capture);
        Assert.StartsWith("nft ", c.Command, StringComparison.Ordinal);
        byte[] captured = c.Buffers.Single(b => b.Length >= 16 && BitConverter.ToUInt16(b, 4) == 0x10);
        byte[] buffer = new byte[64 * 1024];
        var writer = new NetlinkMessageWriter(buffer);
        NetlinkClient.WriteNftBatch(ref writer, transaction, 1000);
        List<List<string>> theirs = NftFlattener.Flatten(captured);
        List<List<string>> ours = NftFlattener.Flatten(buffer.AsSpan(0, writer.Length));
        Assert.Equal(theirs.Count, ours.Count);
        for (int i = 0; i < theirs.Count; i++)
        {
            Assert.Equal(string.Join("\n", theirs[i]), string.Join("\n", ours[i]));
        }
    }
}

/// <summary>Flattens an nfnetlink batch into one line list per message, attributes in order, nested ones expanded.</summary>
public static class NftFlattener
{
    public static List<List<string>> Flatten(ReadOnlySpan<byte> batch)
    {
        var result = new List<List<string>>();
        var reader = new NetlinkMessageReader(batch);
        while (reader.TryRead(out NetlinkMessage m))
        {
            var lines = new List<string>
            {
                $"type=0x{m.Header.Type:x4} flags=0x{(ushort)m.Header.Flags & ~(ushort)NetlinkMessageFlags.Acknowledge:x4} nfgenmsg={Convert.ToHexString(m.GetFixedHeader(4))}",
            };
            Walk(m.GetAttributes(4), "", lines);
            result.Add(lines);
        }

        return result;
    }

    private static void Walk(NetlinkAttributeReader reader, string prefix, List<string> into)
    {
        while (reader.TryRead(out NetlinkAttribute a))
        {
            string path = prefix + a.Type;
            if (a.IsNestedFlagSet)
            {
                into.Add(path + "{");
                Walk(a.GetNested(), path + "/", into);
            }
            else
            {
                into.Add(path + "=" + Convert.ToHexString(a.Value));
            }
        }
    }
}
