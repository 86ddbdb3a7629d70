using System.Net;
using Overlay.Netlink.Internal;
using Overlay.Netlink.Tests.Support;
using Overlay.Testing;

namespace Overlay.Netlink.Tests.Unit;

public sealed class ClientBehaviourTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Route SomeRoute = new() { Destination = IPNetwork.Parse("198.19.1.0/24"), Gateway = IPAddress.Parse("198.18.0.2") };

    [Fact]
    public async Task Log_events_use_the_documented_ids()
    {
        using var logs = new ListLogger();
        var kernel = new FakeKernel();
        int call = 0;
        kernel.OnSend = sent =>
        {
            uint seq = FakeKernel.Messages(sent)[0].Sequence;
            return call++ == 0
                ? [FakeKernel.Ack(seq + 1000), FakeKernel.Ack(seq)]                   // a stray ack, then ours
                : [FakeKernel.Ack(seq, LinuxErrno.EEXIST, "Route exists")];
        };
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel, new NetlinkClientOptions { LoggerFactory = logs });
        await client.RouteAddAsync(SomeRoute, Ct);
        await Assert.ThrowsAsync<NetlinkException>(async () => await client.RouteAddAsync(SomeRoute, Ct));

        Assert.Contains(logs.Entries, e => e.EventId.Id == NetlinkEventIds.UnexpectedReplyDropped && e.Category == "Overlay.Netlink");
        var failed = Assert.Single(logs.Entries, e => e.EventId.Id == NetlinkEventIds.RequestFailed);
        Assert.Contains("Route exists", failed.Message, StringComparison.Ordinal);
        Assert.All(logs.Entries, e => Assert.InRange(e.EventId.Id, 1000, 1999));
    }

    [Fact]
    public async Task Concurrent_requests_on_one_client_are_serialised_and_each_gets_its_own_answer()
    {
        var kernel = new FakeKernel();
        kernel.OnSend = sent =>
        {
            uint seq = FakeKernel.Messages(sent)[0].Sequence;
            return [FakeKernel.Ack(seq, seq % 2 == 0 ? LinuxErrno.EEXIST : 0)];
        };
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel);
        Task<bool>[] calls = [.. Enumerable.Range(0, 64).Select(async _ =>
        {
            try
            {
                await client.RouteAddAsync(SomeRoute, Ct);
                return true;
            }
            catch (NetlinkException ex) when (ex.Errno == LinuxErrno.EEXIST)
            {
                return false;
            }
        })];
        bool[] results = await Task.WhenAll(calls);
        Assert.Equal(64, kernel.Sent.Count);
        var sequences = kernel.Sent.Select(d => FakeKernel.Messages(d)[0].Sequence).ToList();
        Assert.Equal(64, sequences.Distinct().Count());
        Assert.Equal(sequences.Count(s => s % 2 == 1), results.Count(r => r));
    }

    [Fact]
    public void Unknown_attributes_are_skipped_when_decoding()
    {
        byte[] buffer = new byte[512];
        var w = new NetlinkMessageWriter(buffer, RtmType.NewRoute, NetlinkMessageFlags.None, 1);
        Span<byte> header = w.WriteZeroes(12);
        header[0] = LinuxAddressFamily.Inet;
        header[1] = 24;
        header[4] = (byte)RouteTable.Main;
        header[7] = (byte)RouteType.Unicast;
        w.WriteUInt64(0x3FF0, ulong.MaxValue);               // unknown type, odd size
        NestedAttribute unknownNest = w.BeginNested(0x3FF1);  // unknown nested
        w.WriteUInt8(1, 1);
        w.EndNested(unknownNest);
        w.WriteIPAddress(RtaType.Destination, IPAddress.Parse("198.19.7.0"));
        w.WriteBytes([]);
        w.WriteUInt32(RtaType.OutputInterface, 9);
        int length = w.Finish();

        var reader = new NetlinkMessageReader(buffer.AsSpan(0, length));
        Assert.True(reader.TryRead(out NetlinkMessage m));
        Route route = RtnetlinkCodec.DecodeRoute(m);
        Assert.Equal(IPNetwork.Parse("198.19.7.0/24"), route.Destination);
        Assert.Equal(9, route.OutputInterface);
    }

    [Fact]
    public async Task Route_dump_skips_non_ip_families()
    {
        var kernel = new FakeKernel();
        kernel.OnSend = sent =>
        {
            uint seq = FakeKernel.Messages(sent)[0].Sequence;
            byte[] ipmr = FakeKernel.RouteMessage(seq, "198.19.2.0/24");
            ipmr[16] = 128; // RTNL_FAMILY_IPMR: a multicast routing table entry
            return [FakeKernel.Concat(FakeKernel.RouteMessage(seq, "198.19.1.0/24"), ipmr, FakeKernel.Done(seq))];
        };
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel);
        Route route = Assert.Single(await client.RoutesAsync(RouteFilter.All, Ct).ToListAsync(Ct));
        Assert.Equal(IPNetwork.Parse("198.19.1.0/24"), route.Destination);
    }

    [Fact]
    public async Task Listing_is_lazy_until_enumerated()
    {
        var kernel = new FakeKernel();
        kernel.OnSend = sent => [FakeKernel.Done(FakeKernel.Messages(sent)[0].Sequence)];
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel);
        IAsyncEnumerable<Route> routes = client.RoutesAsync(cancellationToken: Ct);
        Assert.Empty(kernel.Sent);
        Assert.Empty(await routes.ToListAsync(Ct));
        Assert.Single(kernel.Sent);
    }
}
