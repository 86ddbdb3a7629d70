using System.Net;
using Overlay.Netlink.Tests.Support;
using Overlay.Testing;

namespace Overlay.Netlink.Tests.Privileged;

[Trait("Category", "Privileged")]
public sealed class XfrmTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static XfrmPolicy Policy(XfrmPolicyDirection direction, string src, string dst, string tunnelSrc, string tunnelDst) => new()
    {
        Selector = new XfrmSelector { Source = IPNetwork.Parse(src), Destination = IPNetwork.Parse(dst) },
        Direction = direction,
        Templates = [new XfrmTemplate { Source = IPAddress.Parse(tunnelSrc), Destination = IPAddress.Parse(tunnelDst), RequestId = 11 }],
    };

    [Fact]
    public async Task Policies_are_added_read_updated_listed_deleted_and_flushed()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        XfrmPolicy output = Policy(XfrmPolicyDirection.Out, "198.19.1.0/24", "198.19.2.0/24", "198.18.0.1", "198.18.0.2");
        XfrmPolicy input = Policy(XfrmPolicyDirection.In, "198.19.2.0/24", "198.19.1.0/24", "198.18.0.2", "198.18.0.1");
        XfrmPolicy forward = input with { Direction = XfrmPolicyDirection.Forward };
        await t.Client.XfrmPolicyAddAsync(output, Ct);
        await t.Client.XfrmPolicyAddAsync(input, Ct);
        await t.Client.XfrmPolicyAddAsync(forward, Ct);
        var exists = await Assert.ThrowsAsync<NetlinkException>(async () => await t.Client.XfrmPolicyAddAsync(output, Ct));
        Assert.Equal(LinuxErrno.EEXIST, exists.Errno);

        string text = t.Ip("xfrm policy show");
        Assert.Contains("src 198.19.1.0/24 dst 198.19.2.0/24 \n\tdir out priority 0", text, StringComparison.Ordinal);
        Assert.Contains("tmpl src 198.18.0.1 dst 198.18.0.2\n\t\tproto esp reqid 11 mode tunnel", text, StringComparison.Ordinal);
        Assert.Contains("dir fwd", text, StringComparison.Ordinal);
        Assert.Contains("dir in", text, StringComparison.Ordinal);

        XfrmPolicy? read = await t.Client.XfrmPolicyGetAsync(output.Selector, XfrmPolicyDirection.Out, cancellationToken: Ct);
        Assert.NotNull(read);
        Assert.Equal(output.Selector, read.Selector);
        XfrmTemplate template = Assert.Single(read.Templates);
        Assert.Equal(11u, template.RequestId);
        Assert.Equal(IPAddress.Parse("198.18.0.2"), template.Destination);

        // Update in place (flannel's "changed PublicIP" path).
        await t.Client.XfrmPolicyUpdateAsync(output with { Templates = [new XfrmTemplate { Source = IPAddress.Parse("198.18.0.1"), Destination = IPAddress.Parse("198.18.0.9"), RequestId = 11 }] }, Ct);
        Assert.Contains("tmpl src 198.18.0.1 dst 198.18.0.9", t.Ip("xfrm policy show dir out"), StringComparison.Ordinal);

        var all = await t.Client.XfrmPoliciesAsync(Ct).ToListAsync(Ct);
        Assert.Equal(3, all.Count);
        Assert.Equal([XfrmPolicyDirection.In, XfrmPolicyDirection.Out, XfrmPolicyDirection.Forward], all.Select(p => p.Direction).Order());

        Assert.True(await t.Client.XfrmPolicyDeleteAsync(output.Selector, XfrmPolicyDirection.Out, cancellationToken: Ct));
        Assert.False(await t.Client.XfrmPolicyDeleteAsync(output.Selector, XfrmPolicyDirection.Out, cancellationToken: Ct));
        Assert.Null(await t.Client.XfrmPolicyGetAsync(output.Selector, XfrmPolicyDirection.Out, cancellationToken: Ct));
        Assert.DoesNotContain("dir out", t.Ip("xfrm policy show"), StringComparison.Ordinal);

        await t.Client.XfrmPolicyFlushAsync(Ct);
        Assert.Equal(string.Empty, t.Ip("xfrm policy show").Trim());
        Assert.Empty(await t.Client.XfrmPoliciesAsync(Ct).ToListAsync(Ct));
    }

    [Fact]
    public async Task Policy_with_mark_and_priority_round_trips()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        XfrmPolicy policy = Policy(XfrmPolicyDirection.Out, "198.19.1.0/24", "198.19.2.0/24", "198.18.0.1", "198.18.0.2") with { Priority = 100, Mark = new XfrmMark(5, 0xff) };
        await t.Client.XfrmPolicyAddAsync(policy, Ct);
        string text = t.Ip("xfrm policy show");
        Assert.Contains("priority 100", text, StringComparison.Ordinal);
        Assert.Contains("mark 0x5/0xff", text, StringComparison.Ordinal);
        Assert.Null(await t.Client.XfrmPolicyGetAsync(policy.Selector, XfrmPolicyDirection.Out, cancellationToken: Ct)); // mark is part of the key
        XfrmPolicy? read = await t.Client.XfrmPolicyGetAsync(policy.Selector, XfrmPolicyDirection.Out, policy.Mark, Ct);
        Assert.NotNull(read);
        Assert.Equal(100u, read.Priority);
        Assert.Equal(policy.Mark, read.Mark);
    }

    [Fact]
    public async Task State_add_is_refused_with_the_kernels_reason_and_state_queries_work()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        var state = new XfrmState
        {
            Source = IPAddress.Parse("198.18.0.1"),
            Destination = IPAddress.Parse("198.18.0.2"),
            Spi = 0x100,
            RequestId = 11,
            Aead = new XfrmAlgorithm("rfc4106(gcm(aes))", Convert.FromHexString("0102030405060708090a0b0c0d0e0f1011121314"), 128),
        };
        NetlinkException? refused = null;
        try
        {
            await t.Client.XfrmStateAddAsync(state, Ct);
        }
        catch (NetlinkException ex)
        {
            refused = ex;
        }

        var id = new XfrmStateId(state.Destination, state.Spi, XfrmProtocol.Esp, state.Source);
        bool hasEsp = KernelInfo.IsModuleAvailable("esp4") || File.ReadAllText("/proc/crypto").Contains("rfc4106(gcm(aes))", StringComparison.Ordinal);
        Assert.Equal(hasEsp, refused is null);
        if (refused is null)
        {
            // A kernel with ESP accepts it: then it must be readable and deletable.
            Assert.NotNull(await t.Client.XfrmStateGetAsync(id, Ct));
            Assert.True(await t.Client.XfrmStateDeleteAsync(id, Ct));
            return;
        }

        // This kernel has no ESP/AEAD: the exception names the operation, errno and the kernel's text,
        // the same text iproute2 prints ("Requested AEAD algorithm not found.").
        Assert.NotEqual(0, refused.Errno);
        Assert.Contains("xfrm state add 198.18.0.1 -> 198.18.0.2 spi 0x00000100", refused.Message, StringComparison.Ordinal);
        Assert.NotNull(refused.ExtendedAckMessage);
        Assert.Contains(refused.ExtendedAckMessage!, refused.Message, StringComparison.Ordinal);
        Assert.Empty(await t.Client.XfrmStatesAsync(Ct).ToListAsync(Ct));
        Assert.Null(await t.Client.XfrmStateGetAsync(id, Ct));
        Assert.False(await t.Client.XfrmStateDeleteAsync(id, Ct));
        await t.Client.XfrmStateFlushAsync(cancellationToken: Ct);
        Assert.Equal(string.Empty, t.Ip("xfrm state show").Trim());
    }
}
