using System.Net;
using System.Text.Json;
using Overlay.Netlink.Tests.Support;
using Overlay.Netlink.Tests.Unit;
using Overlay.Testing;

namespace Overlay.Netlink.Tests.Privileged;

/// <summary>nf_tables over netlink in a throw-away namespace, checked with the nft tool (<c>nft -j</c>).</summary>
[Trait("Category", "Privileged")]
public sealed class NftablesTests
{
    private static readonly IPNetwork Cluster = IPNetwork.Parse("198.19.0.0/16");
    private static readonly IPNetwork Pod = IPNetwork.Parse("198.19.3.0/24");

    [Fact]
    public async Task A_transaction_installs_flannels_rules_as_nft_lists_them()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        var tx = new NftTransaction();
        NftGoldenTests.FlannelRules(tx, NftFamily.IPv4, "flannel-ipv4", Cluster, Pod, IPNetwork.Parse("224.0.0.0/4"), fullyRandom: true);
        await t.Client.NftApplyAsync(tx, TestContext.Current.CancellationToken);

        string text = t.Exec("nft list table ip flannel-ipv4");
        Assert.Contains("comment \"rules for flannel-ipv4\"", text, StringComparison.Ordinal);
        Assert.Contains("comment \"chain to manage traffic masquerading by flannel\"", text, StringComparison.Ordinal);
        Assert.Contains("type nat hook postrouting priority srcnat; policy accept;", text, StringComparison.Ordinal);
        Assert.Contains("type filter hook forward priority filter; policy accept;", text, StringComparison.Ordinal);
        Assert.Contains("meta mark 0x00004000 return", text, StringComparison.Ordinal);
        Assert.Contains("ip saddr != 198.19.3.0/24 ip daddr 198.19.0.0/16 return", text, StringComparison.Ordinal);
        Assert.Contains("ip saddr 198.19.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random", text, StringComparison.Ordinal);

        JsonElement rules = NftJson(t, "list chain ip flannel-ipv4 postrtg");
        Assert.Equal(6, rules.EnumerateArray().Count(e => e.TryGetProperty("rule", out _)));

        // Our own dump agrees with what we wrote (typed expressions, handles set, order kept).
        var chains = await ToListAsync(t.Client.NftChainsAsync(NftFamily.IPv4, "flannel-ipv4", Ct));
        NftChain postrtg = Assert.Single(chains, c => c.Name == "postrtg");
        Assert.Equal(NftHook.Postrouting, postrtg.Hook);
        Assert.Equal(100, postrtg.Priority);
        Assert.Equal("nat", postrtg.Type);
        Assert.Equal(NftVerdict.Accept, postrtg.Policy);
        Assert.Equal("chain to manage traffic masquerading by flannel", postrtg.Comment);
        var listed = await ToListAsync(t.Client.NftRulesAsync(NftFamily.IPv4, "flannel-ipv4", "postrtg", Ct));
        var written = tx.Operations.Where(o => o.Kind == NftOperationKind.AddRule).Select(o => (NftRule)o.Value!).Where(r => r.Chain == "postrtg").ToList();
        Assert.Equal(written.Count, listed.Count);
        for (int i = 0; i < written.Count; i++)
        {
            Assert.True(written[i].IsEquivalentTo(listed[i]), $"rule {i}: wrote {written[i]}, listed {listed[i]}");
            Assert.NotNull(listed[i].Handle);
        }

        NftTable table = Assert.Single(await ToListAsync(t.Client.NftTablesAsync(NftFamily.IPv4, Ct)));
        Assert.Equal("rules for flannel-ipv4", table.Comment);
    }

    [Fact]
    public async Task A_failing_operation_rolls_back_the_whole_batch_and_reports_the_kernels_reason()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        var tx = new NftTransaction()
            .AddTable(new NftTable { Family = NftFamily.IPv4, Name = "ovlbatch" })
            .AddChain(new NftChain { Family = NftFamily.IPv4, Table = "ovlbatch", Name = "c" })
            .AddRule(new NftRule { Family = NftFamily.IPv4, Table = "ovlbatch", Chain = "missing", Expressions = [new NftImmediateExpression(NftVerdict.Accept)] });
        NetlinkException ex = await Assert.ThrowsAsync<NetlinkException>(async () => await t.Client.NftApplyAsync(tx, TestContext.Current.CancellationToken));
        Assert.Equal(LinuxErrno.ENOENT, ex.Errno);
        Assert.Contains("transaction of 3", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ovlbatch", t.Exec("nft list tables"), StringComparison.Ordinal);

        // The connection is usable afterwards, and deleting by handle works.
        await t.Client.NftApplyAsync(new NftTransaction()
            .AddTable(new NftTable { Family = NftFamily.IPv4, Name = "ovlbatch" })
            .AddChain(new NftChain { Family = NftFamily.IPv4, Table = "ovlbatch", Name = "c" })
            .AddRule(new NftRule { Family = NftFamily.IPv4, Table = "ovlbatch", Chain = "c", Expressions = [new NftCounterExpression(), new NftImmediateExpression(NftVerdict.Accept)] }), TestContext.Current.CancellationToken);
        NftRule rule = Assert.Single(await ToListAsync(t.Client.NftRulesAsync(NftFamily.IPv4, "ovlbatch", cancellationToken: Ct)));
        Assert.IsType<NftCounterExpression>(rule.Expressions[0]);
        await t.Client.NftApplyAsync(new NftTransaction().DeleteRule(NftFamily.IPv4, "ovlbatch", "c", rule.Handle!.Value), TestContext.Current.CancellationToken);
        Assert.Empty(await ToListAsync(t.Client.NftRulesAsync(NftFamily.IPv4, "ovlbatch", cancellationToken: Ct)));
        Assert.Empty(await ToListAsync(t.Client.NftRulesAsync(NftFamily.IPv4, "nosuchtable", cancellationToken: Ct)));
    }

    [Fact]
    public async Task Changes_made_with_nft_arrive_as_notifications()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30)); // hang guard only
        await using IAsyncEnumerator<NetlinkNotification> events = t.Client.NftWatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        t.Exec("nft add table ip ovlwatch");
        Assert.Equal("ovlwatch", (await Next<NftTableNotification>(events, n => n.Kind == NetlinkChangeKind.Added)).Table.Name);
        await Next<NftGenerationNotification>(events, _ => true);
        t.Exec("nft add chain ip ovlwatch c { type filter hook forward priority 0 ; }");
        NftChainNotification chain = await Next<NftChainNotification>(events, n => n.Chain.Name == "c");
        Assert.Equal(NftHook.Forward, chain.Chain.Hook);
        t.Exec("nft add rule ip ovlwatch c ip saddr 198.19.0.0/16 accept");
        NftRuleNotification rule = await Next<NftRuleNotification>(events, n => n.Kind == NetlinkChangeKind.Added);
        Assert.Equal([.. NftMatch.SourcePrefix(Cluster), new NftImmediateExpression(NftVerdict.Accept)], rule.Rule.Expressions);
        t.Exec($"nft delete rule ip ovlwatch c handle {rule.Rule.Handle}");
        Assert.Equal(rule.Rule.Handle, (await Next<NftRuleNotification>(events, n => n.Kind == NetlinkChangeKind.Removed)).Rule.Handle);
        t.Exec("nft delete table ip ovlwatch");
        await Next<NftTableNotification>(events, n => n.Kind == NetlinkChangeKind.Removed && n.Table.Name == "ovlwatch");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static JsonElement NftJson(TestNamespace t, string command)
    {
        using JsonDocument doc = JsonDocument.Parse(t.Exec("nft -j " + command));
        return doc.RootElement.GetProperty("nftables").Clone();
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (T item in items)
        {
            list.Add(item);
        }

        return list;
    }

    private static async Task<T> Next<T>(IAsyncEnumerator<NetlinkNotification> events, Func<T, bool> match)
        where T : NetlinkNotification
    {
        while (await events.MoveNextAsync())
        {
            if (events.Current is T typed && match(typed))
            {
                return typed;
            }
        }

        throw new InvalidOperationException("notification stream ended");
    }
}
