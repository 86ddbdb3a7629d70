using System.Buffers;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Overlay.Netlink.Internal;

/// <summary>Receives each reply message of a request (data replies, not acknowledgements).</summary>
internal delegate void ReplyHandler(NetlinkMessage message);

/// <summary>Writes the bulk item <paramref name="index"/> as one message with the given sequence and flags.</summary>
internal delegate void BulkMessageWriter(ref NetlinkMessageWriter writer, int index, uint sequence);

/// <summary>
/// Request/response over one netlink socket: one request (or one bulk batch) at a time, sequence
/// numbers and port ids validated, acknowledgements and errors (with extended ack) decoded,
/// multipart dumps read to NLMSG_DONE, NLM_F_DUMP_INTR detected.
/// </summary>
internal sealed class NetlinkConnection : IDisposable
{
    /// <summary>Largest message any builder in this library writes.</summary>
    internal const int MaxMessageSize = 1024;

    private const int ReceiveBufferLength = 64 * 1024;
    private readonly INetlinkTransport _transport;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly byte[] _receiveBuffer = new byte[ReceiveBufferLength];
    private readonly ILogger _logger;
    private readonly bool _retryInterruptedDumps;
    private uint _sequence;
    private bool _disposed;

    public NetlinkConnection(INetlinkTransport transport, ILogger logger, bool retryInterruptedDumps)
    {
        _transport = transport;
        _logger = logger;
        _retryInterruptedDumps = retryInterruptedDumps;
        _sequence = (uint)Random.Shared.Next(1, 1 << 20);
    }

    public uint PortId => _transport.PortId;

    /// <summary>Messages per bulk send (bounded so that error acks always fit the receive buffer).</summary>
    public int BulkChunkMessages { get; set; } = 1024;

    public uint NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>Sends one request (which must carry NLM_F_ACK) and waits for its acknowledgement.</summary>
    public async ValueTask ExecuteAsync(ReadOnlyMemory<byte> request, string operation, ReplyHandler? onReply, CancellationToken cancellationToken)
    {
        uint sequence = HostOrder.ReadUInt32(request.Span[8..]);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await _transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var state = new ReceiveState(sequence, sequence, operation, onReply, dump: false);
            while (!state.Complete)
            {
                int length = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
                ProcessDatagram(_receiveBuffer.AsSpan(0, length), ref state);
            }

            state.ThrowIfFailed(_logger);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Reserves <paramref name="count"/> consecutive sequence numbers and returns the first.</summary>
    public uint ReserveSequences(int count) => Interlocked.Add(ref _sequence, (uint)count) - (uint)count + 1;

    /// <summary>
    /// Sends one nfnetlink batch (BEGIN, acknowledged operations with sequences
    /// <paramref name="firstSequence"/>+1 .. <paramref name="lastSequence"/>, END) and waits for the
    /// acknowledgement of the last operation. The kernel processes the whole batch before it answers
    /// (all errors, then the acknowledgements, in message order); an error naming the BEGIN message
    /// (a failed commit, or a batch refused as a whole) also ends the wait. The first error is thrown.
    /// </summary>
    public async ValueTask TransactAsync(ReadOnlyMemory<byte> batch, uint firstSequence, uint lastSequence, string operation, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await _transport.SendAsync(batch, cancellationToken).ConfigureAwait(false);
            var state = new ReceiveState(firstSequence, lastSequence, operation, null, dump: false) { Transaction = true };
            while (!state.Complete)
            {
                int length = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
                ProcessDatagram(_receiveBuffer.AsSpan(0, length), ref state);
            }

            state.ThrowIfFailed(_logger);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Sends a dump request (NLM_F_DUMP, no ACK) and reads the multipart reply to NLMSG_DONE.</summary>
    public async ValueTask DumpAsync(Memory<byte> request, string operation, ReplyHandler onReply, Action? onRestart, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            for (int attempt = 1; ; attempt++)
            {
                uint sequence = NextSequence();
                HostOrder.WriteUInt32(request.Span[8..], sequence);
                await _transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
                var state = new ReceiveState(sequence, sequence, operation, onReply, dump: true);
                while (!state.Complete)
                {
                    int length = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
                    ProcessDatagram(_receiveBuffer.AsSpan(0, length), ref state);
                }

                state.ThrowIfFailed(_logger);
                if (!state.Interrupted)
                {
                    return;
                }

                if (!_retryInterruptedDumps || attempt >= 10)
                {
                    throw new NetlinkDumpInterruptedException($"{operation}: the dump was interrupted by a concurrent change (NLM_F_DUMP_INTR); retry it.");
                }

                Log.DumpInterruptedRetrying(_logger, operation, attempt);
                onRestart?.Invoke();
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Pipelines <paramref name="count"/> requests: many messages per send, each with its own sequence
    /// number; only the last message of each send asks for an acknowledgement unless
    /// <paramref name="acknowledgeEach"/> (the kernel reports every error anyway and processes
    /// the messages of one send in order, so the last ack closes the batch).
    /// </summary>
    public async ValueTask<NetlinkBulkResult> BulkAsync(int count, BulkMessageWriter write, string operation, bool acknowledgeEach, CancellationToken cancellationToken)
    {
        List<NetlinkBulkFailure>? failures = null;
        if (count == 0)
        {
            return new NetlinkBulkResult(0, []);
        }

        int bufferSize = Math.Clamp(_transport.SendBufferSize / 2, 16 * 1024, 1024 * 1024);
        int chunkLimit = Math.Max(1, Math.Min(BulkChunkMessages, _transport.ReceiveBufferSize / 2048));
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int next = 0;
            while (next < count)
            {
                // Reserve a block of sequence numbers atomically (single requests take theirs outside the lock).
                uint firstSequence = Interlocked.Add(ref _sequence, (uint)chunkLimit) - (uint)chunkLimit + 1;
                int first = next;
                int length = BuildChunk(buffer.AsSpan(0, bufferSize), write, ref next, count, chunkLimit, acknowledgeEach, firstSequence);
                uint lastSequence = firstSequence + (uint)(next - first - 1);

                await _transport.SendAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                var state = new ReceiveState(firstSequence, lastSequence, operation, null, dump: false) { Bulk = true, BulkFirstIndex = first };
                while (!state.Complete)
                {
                    int received = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
                    ProcessDatagram(_receiveBuffer.AsSpan(0, received), ref state);
                }

                if (state.BulkFailures is { } chunkFailures)
                {
                    (failures ??= []).AddRange(chunkFailures);
                }
            }
        }
        finally
        {
            _lock.Release();
            ArrayPool<byte>.Shared.Return(buffer);
        }

        int failed = failures?.Count ?? 0;
        Log.BulkCompleted(_logger, operation, count, failed);
        return new NetlinkBulkResult(count - failed, failures is null ? [] : [.. failures]);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _transport.Dispose();
        _lock.Dispose();
    }

    private static int BuildChunk(Span<byte> buffer, BulkMessageWriter write, ref int next, int count, int chunkLimit, bool acknowledgeEach, uint firstSequence)
    {
        var writer = new NetlinkMessageWriter(buffer);
        int lastStart = 0;
        int written = 0;
        while (next < count && written < chunkLimit && writer.Remaining >= MaxMessageSize)
        {
            lastStart = writer.Length;
            write(ref writer, next, firstSequence + (uint)written);
            if (writer.IsMessageOpen)
            {
                writer.EndMessage();
            }

            var flags = (NetlinkMessageFlags)HostOrder.ReadUInt16(buffer[(lastStart + 6)..]);
            if (!acknowledgeEach)
            {
                flags &= ~NetlinkMessageFlags.Acknowledge;
            }

            HostOrder.WriteUInt16(buffer[(lastStart + 6)..], (ushort)flags);
            next++;
            written++;
        }

        var lastFlags = (NetlinkMessageFlags)HostOrder.ReadUInt16(buffer[(lastStart + 6)..]);
        HostOrder.WriteUInt16(buffer[(lastStart + 6)..], (ushort)(lastFlags | NetlinkMessageFlags.Acknowledge));
        return writer.Length;
    }

    private async ValueTask<int> ReceiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _transport.ReceiveAsync(_receiveBuffer, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
        {
            throw new NetlinkException("netlink receive: the socket receive buffer overflowed (ENOBUFS); replies were lost", LinuxErrno.ENOBUFS);
        }
    }

    private void ProcessDatagram(ReadOnlySpan<byte> datagram, ref ReceiveState state)
    {
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out NetlinkMessage message))
        {
            NetlinkMessageHeader header = message.Header;
            if ((header.PortId != 0 && header.PortId != _transport.PortId)
                || header.Sequence < state.FirstSequence || header.Sequence > state.LastSequence)
            {
                Log.UnexpectedReplyDropped(_logger, header.Type, header.Sequence, header.PortId, state.LastSequence, _transport.PortId);
                continue;
            }

            if ((header.Flags & NetlinkMessageFlags.DumpInterrupted) != 0)
            {
                state.Interrupted = true;
            }

            switch (header.Type)
            {
                case NetlinkMessageType.Error:
                    HandleError(message, ref state);
                    break;
                case NetlinkMessageType.Done:
                    if (state.Dump)
                    {
                        if (message.Payload.Length >= 4 && HostOrder.ReadInt32(message.Payload) is < 0 and int doneError)
                        {
                            AckParser.Parse(message, out _, out string? doneText, out _);
                            state.Fail(-doneError, doneText, null);
                        }

                        state.Complete = true;
                    }

                    break;
                case NetlinkMessageType.Noop:
                case NetlinkMessageType.Overrun:
                    break;
                default:
                    if (state.OnReply is not null && !state.Failed)
                    {
                        state.OnReply(message);
                    }

                    break;
            }
        }
    }

    private static void HandleError(NetlinkMessage message, ref ReceiveState state)
    {
        AckParser.Parse(message, out int error, out string? text, out int? offset);
        uint sequence = message.Header.Sequence;
        if (state.Bulk)
        {
            if (error != 0)
            {
                (state.BulkFailures ??= []).Add(new NetlinkBulkFailure(
                    state.BulkFirstIndex + (int)(sequence - state.FirstSequence), -error, text));
            }

            if (sequence == state.LastSequence)
            {
                state.Complete = true;
            }

            return;
        }

        if (error != 0)
        {
            state.Fail(-error, text, offset);
        }

        if (state.Transaction && sequence != state.LastSequence && !(error != 0 && sequence == state.FirstSequence))
        {
            return;
        }

        state.Complete = true;
    }

    private struct ReceiveState
    {
        public ReceiveState(uint first, uint last, string operation, ReplyHandler? onReply, bool dump)
        {
            FirstSequence = first;
            LastSequence = last;
            Operation = operation;
            OnReply = onReply;
            Dump = dump;
        }

        public uint FirstSequence { get; }

        public uint LastSequence { get; }

        public string Operation { get; }

        public ReplyHandler? OnReply { get; }

        public bool Dump { get; }

        public bool Complete { get; set; }

        public bool Interrupted { get; set; }

        public bool Bulk { get; set; }

        public bool Transaction { get; set; }

        public int BulkFirstIndex { get; set; }

        public List<NetlinkBulkFailure>? BulkFailures { get; set; }

        public bool Failed { get; private set; }

        public int Errno { get; private set; }

        public string? Text { get; private set; }

        public int? Offset { get; private set; }

        public void Fail(int errno, string? text, int? offset)
        {
            if (!Failed)
            {
                Failed = true;
                Errno = errno;
                Text = text;
                Offset = offset;
            }
        }

        public readonly void ThrowIfFailed(ILogger logger)
        {
            if (Failed)
            {
                Log.RequestFailed(logger, Operation, Errno, Text);
                throw new NetlinkException(Operation, Errno, Text, Offset);
            }
        }
    }
}

/// <summary>Decodes NLMSG_ERROR payloads: error code, echoed request, extended-ack attributes.</summary>
internal static class AckParser
{
    private const ushort AttributeMessage = 1;
    private const ushort AttributeOffset = 2;

    public static void Parse(NetlinkMessage message, out int error, out string? text, out int? offset)
    {
        text = null;
        offset = null;
        ReadOnlySpan<byte> payload = message.Payload;
        if (payload.Length < 4)
        {
            throw new NetlinkProtocolException($"Truncated NLMSG_ERROR/NLMSG_DONE payload of {payload.Length} bytes.");
        }

        error = HostOrder.ReadInt32(payload);
        if ((message.Header.Flags & NetlinkMessageFlags.AcknowledgeTlvs) == 0)
        {
            return;
        }

        int attributesStart;
        if (message.Header.Type == NetlinkMessageType.Done)
        {
            attributesStart = 4;
        }
        else
        {
            if (payload.Length < 4 + NetlinkMessageWriter.HeaderLength)
            {
                throw new NetlinkProtocolException("Truncated echoed request in NLMSG_ERROR.");
            }

            uint echoed = (message.Header.Flags & NetlinkMessageFlags.Capped) != 0
                ? NetlinkMessageWriter.HeaderLength
                : HostOrder.ReadUInt32(payload[4..]);
            if (echoed < NetlinkMessageWriter.HeaderLength || echoed > (uint)(payload.Length - 4))
            {
                throw new NetlinkProtocolException($"Invalid echoed request length {echoed} in NLMSG_ERROR.");
            }

            attributesStart = Math.Min(4 + NetlinkMessageWriter.Align((int)echoed), payload.Length);
        }

        var attributes = new NetlinkAttributeReader(payload[attributesStart..]);
        while (attributes.TryRead(out NetlinkAttribute attribute))
        {
            switch (attribute.Type)
            {
                case AttributeMessage:
                    text = attribute.GetString();
                    break;
                case AttributeOffset when attribute.Value.Length == 4:
                    offset = (int)attribute.GetUInt32();
                    break;
                default:
                    break;
            }
        }
    }
}
