using System.Net;
using System.Net.Sockets;
using Overlay.Netlink.Internal;
using Overlay.Netlink.Tests.Support;

namespace Overlay.Netlink.Tests.Unit;

/// <summary>Transport behaviour against a scripted kernel: acks, errors, sequence checks, dumps, bulk, notifications.</summary>
public sealed class FakeKernelTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Route SomeRoute = new() { Destination = IPNetwork.Parse("198.19.1.0/24"), Gateway = IPAddress.Parse("198.18.0.2") };

    [Fact]
    public async Task Error_ack_becomes_exception_with_errno_and_extended_ack()
    {
        var kernel = new FakeKernel();
        kernel.OnSend = sent => [FakeKernel.Ack(FakeKernel.Messages(sent)[0].Sequence, LinuxErrno.EINVAL, "Nexthop has invalid gateway", 36)];
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel);
        var ex = await Assert.ThrowsAsync<NetlinkException>(async () => await client.RouteAddAsync(SomeRoute, Ct));
        Assert.Equal(LinuxErrno.EINVAL, ex.Errno);
        Assert.Equal("Nexthop has invalid gateway", ex.ExtendedAckMessage);
        Assert.Equal(36, ex.ExtendedAckOffset);
        Assert.Equal("route add 198.19.1.0/24: EINVAL (22): Nexthop has invalid gateway", ex.Message);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task Replies_with_a_foreign_sequence_or_port_are_dropped()
    {
        var kernel = new FakeKernel();
        kernel.OnSend = sent =>
        {
            uint seq = FakeKernel.Messages(sent)[0].Sequence;
            return [
                FakeKernel.Ack(seq - 1, LinuxErrno.EEXIST),          // stale: a cancelled earlier request
                FakeKernel.Ack(seq, LinuxErrno.EEXIST, port: 999),   // another socket's
                FakeKernel.Ack(seq),                                 // ours
            ];
        };
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel);
        await client.RouteReplaceAsync(SomeRoute, Ct);
        Assert.Single(kernel.Sent);
    }

    [Fact]
    public async Task Cancelled_request_leaves_the_client_usable()
    {
        var kernel = new FakeKernel();
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel);
        using (var cts = new CancellationTokenSource())
        {
            ValueTask pending = client.RouteAddAsync(SomeRoute, cts.Token);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
        }

        uint first = FakeKernel.Messages(kernel.Sent[0])[0].Sequence;
        kernel.OnSend = sent => [FakeKernel.Ack(first), FakeKernel.Ack(FakeKernel.Messages(sent)[0].Sequence)];
        await client.RouteAddAsync(SomeRoute, Ct);
        Assert.Equal(2, kernel.Sent.Count);
        Assert.NotEqual(first, FakeKernel.Messages(kernel.Sent[1])[0].Sequence);
    }

    [Fact]
    public async Task Dump_reads_multipart_replies_until_done()
    {
        var kernel = new FakeKernel();
        kernel.OnSend = sent =>
        {
            uint seq = FakeKernel.Messages(sent)[0].Sequence;
            return [
                FakeKernel.Concat(FakeKernel.RouteMessage(seq, "198.19.1.0/24"), FakeKernel.RouteMessage(seq, "198.19.2.0/24")),
                FakeKernel.Concat(FakeKernel.RouteMessage(seq, "198.19.3.0/24"), FakeKernel.Done(seq)),
            ];
        };
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel);
        var routes = await client.RoutesAsync(RouteFilter.All, Ct).ToListAsync(Ct);
        Assert.Equal(["198.19.1.0/24", "198.19.2.0/24", "198.19.3.0/24"], routes.Select(r => r.Destination.ToString()));
        (ushort type, NetlinkMessageFlags flags, _) = Assert.Single(FakeKernel.Messages(kernel.Sent[0]));
        Assert.Equal(RtmType.GetRoute, type);
        Assert.Equal(NetlinkMessageFlags.Request | NetlinkMessageFlags.Dump, flags);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Interrupted_dump_is_retried_or_reported(bool retry)
    {
        var kernel = new FakeKernel();
        int dumps = 0;
        kernel.OnSend = sent =>
        {
            uint seq = FakeKernel.Messages(sent)[0].Sequence;
            var flags = dumps++ == 0 ? NetlinkMessageFlags.Multi | NetlinkMessageFlags.DumpInterrupted : NetlinkMessageFlags.Multi;
            return [FakeKernel.Concat(FakeKernel.RouteMessage(seq, dumps == 1 ? "198.19.9.0/24" : "198.19.1.0/24", flags: flags), FakeKernel.Done(seq))];
        };
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel, new NetlinkClientOptions { RetryInterruptedDumps = retry });
        if (retry)
        {
            Route route = Assert.Single(await client.RoutesAsync(RouteFilter.All, Ct).ToListAsync(Ct));
            Assert.Equal(IPNetwork.Parse("198.19.1.0/24"), route.Destination);
            Assert.Equal(2, kernel.Sent.Count);
        }
        else
        {
            await Assert.ThrowsAsync<NetlinkDumpInterruptedException>(async () => await client.RoutesAsync(RouteFilter.All, Ct).ToListAsync(Ct));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bulk_pipelines_requests_and_maps_errors_to_indices(bool acknowledgeEach)
    {
        var kernel = new FakeKernel();
        kernel.OnSend = sent =>
        {
            var messages = FakeKernel.Messages(sent);
            var replies = new List<byte[]>();
            for (int i = 0; i < messages.Count; i++)
            {
                bool fails = messages[i].Sequence % 7 == 0;
                if (fails || (messages[i].Flags & NetlinkMessageFlags.Acknowledge) != 0)
                {
                    replies.Add(FakeKernel.Ack(messages[i].Sequence, fails ? LinuxErrno.EEXIST : 0, fails ? "exists" : null));
                }
            }

            return replies;
        };
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel, new NetlinkClientOptions { BulkAcknowledgeEach = acknowledgeEach });
        var routes = Enumerable.Range(0, 5000).Select(i => SomeRoute with { Destination = new IPNetwork(new IPAddress(new byte[] { 198, 19, (byte)(i / 256), (byte)(i % 256) }), 32) }).ToList();

        NetlinkBulkResult result = await client.RouteBulkAsync(NetlinkBulkOperation.Add, routes, Ct);

        var sentMessages = kernel.Sent.SelectMany(FakeKernel.Messages).ToList();
        Assert.Equal(5000, sentMessages.Count);
        Assert.True(kernel.Sent.Count < 10, $"{kernel.Sent.Count} sends for 5000 requests");
        Assert.Equal(sentMessages.Count, sentMessages.Select(m => m.Sequence).Distinct().Count());
        var expectedFailures = sentMessages.Select((m, i) => (m.Sequence, i)).Where(x => x.Sequence % 7 == 0).Select(x => x.i).ToList();
        Assert.Equal(expectedFailures, result.Failures.Select(f => f.Index));
        Assert.All(result.Failures, f => Assert.Equal("exists", f.ExtendedAckMessage));
        Assert.Equal(5000 - expectedFailures.Count, result.Succeeded);
        foreach (byte[] datagram in kernel.Sent)
        {
            var inSend = FakeKernel.Messages(datagram);
            Assert.True((inSend[^1].Flags & NetlinkMessageFlags.Acknowledge) != 0);
            Assert.Equal(acknowledgeEach ? inSend.Count : 1, inSend.Count(m => (m.Flags & NetlinkMessageFlags.Acknowledge) != 0));
        }
    }

    [Fact]
    public async Task Bulk_of_nothing_sends_nothing()
    {
        var kernel = new FakeKernel();
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel);
        NetlinkBulkResult result = await client.FdbBulkAsync(NetlinkBulkOperation.Append, [], Ct);
        Assert.True(result.IsSuccess);
        Assert.Equal(0, result.Succeeded);
        Assert.Empty(kernel.Sent);
    }

    [Fact]
    public async Task Notification_overflow_is_reported_and_the_stream_continues()
    {
        var kernel = new FakeKernel();
        using NetlinkClient client = NetlinkClient.CreateForTest(new FakeKernel());
        kernel.EnqueueException(new SocketException((int)SocketError.NoBufferSpaceAvailable));
        kernel.Enqueue(FakeKernel.RouteMessage(0, "198.19.4.0/24", RtmType.DelRoute, NetlinkMessageFlags.None));
        await using IAsyncEnumerator<NetlinkNotification> events = client.WatchCoreAsync(kernel, Ct).GetAsyncEnumerator(Ct);
        Assert.True(await events.MoveNextAsync());
        Assert.IsType<NotificationsLost>(events.Current);
        Assert.Equal(NetlinkChangeKind.Lost, events.Current.Kind);
        Assert.True(await events.MoveNextAsync());
        RouteNotification removed = Assert.IsType<RouteNotification>(events.Current);
        Assert.Equal(NetlinkChangeKind.Removed, removed.Kind);
        Assert.Equal(IPNetwork.Parse("198.19.4.0/24"), removed.Route.Destination);
    }

    [Fact]
    public async Task Malformed_reply_raises_a_protocol_exception_not_a_hang()
    {
        var kernel = new FakeKernel();
        kernel.OnSend = _ => [[0x40, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0]];
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel);
        await Assert.ThrowsAsync<NetlinkProtocolException>(async () => await client.RouteAddAsync(SomeRoute, Ct));
    }

    [Fact]
    public async Task Absent_objects_are_not_errors_for_deletes_and_gets()
    {
        var kernel = new FakeKernel();
        var errors = new Queue<int>([LinuxErrno.ESRCH, LinuxErrno.ENOENT, LinuxErrno.ENODEV, LinuxErrno.ENODEV]);
        kernel.OnSend = sent => [FakeKernel.Ack(FakeKernel.Messages(sent)[0].Sequence, errors.Dequeue())];
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel);
        Assert.False(await client.RouteDeleteAsync(SomeRoute, Ct));
        Assert.False(await client.NeighborDeleteAsync(new Neighbor { InterfaceIndex = 3, Address = IPAddress.Parse("198.19.1.0") }, Ct));
        Assert.False(await client.LinkDeleteAsync(7, Ct));
        Assert.Null(await client.TryGetLinkAsync("nope", Ct));
    }

    [Fact]
    public async Task Disposed_client_refuses_work_and_closes_the_transport()
    {
        var kernel = new FakeKernel();
        NetlinkClient client = NetlinkClient.CreateForTest(kernel);
        client.Dispose();
        client.Dispose();
        Assert.True(kernel.Disposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await client.RouteAddAsync(SomeRoute, Ct));
    }

    [Fact]
    public async Task Receive_buffer_overflow_during_bulk_is_reported_not_hidden()
    {
        var kernel = new FakeKernel();
        kernel.OnSend = _ => [];
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel);
        kernel.EnqueueException(new SocketException((int)SocketError.NoBufferSpaceAvailable));
        var ex = await Assert.ThrowsAsync<NetlinkException>(async () => await client.RouteBulkAsync(NetlinkBulkOperation.Add, [SomeRoute, SomeRoute], Ct));
        Assert.Equal(LinuxErrno.ENOBUFS, ex.Errno);
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task Bulk_chunks_are_bounded_by_the_receive_buffer()
    {
        var kernel = new FakeKernel { ReceiveBufferSize = 64 * 2048 };
        kernel.OnSend = sent => [FakeKernel.Ack(FakeKernel.Messages(sent)[^1].Sequence)];
        using NetlinkClient client = NetlinkClient.CreateForTest(kernel);
        NetlinkBulkResult result = await client.RouteBulkAsync(NetlinkBulkOperation.Replace, Enumerable.Repeat(SomeRoute, 200).ToList(), Ct);
        Assert.Equal(200, result.Succeeded);
        Assert.Equal([64, 64, 64, 8], kernel.Sent.Select(d => FakeKernel.Messages(d).Count));
    }
}
