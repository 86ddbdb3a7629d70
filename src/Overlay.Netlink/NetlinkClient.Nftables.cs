using System.Buffers;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

public sealed partial class NetlinkClient
{
    private const int NftBatchInitialSize = 16 * 1024;
    private readonly Lock _netfilterLock = new();
    private NetlinkConnection? _netfilter;

    private NetlinkConnection Netfilter
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            lock (_netfilterLock)
            {
                return _netfilter ??= new NetlinkConnection(OpenTransport(_options, NetlinkProtocol.Netfilter, [], _logger), _logger, _options.RetryInterruptedDumps);
            }
        }
    }

    /// <summary>
    /// Applies an nf_tables transaction as one batch: the kernel commits every operation or none
    /// (as <c>nft -f</c> does). The first failing operation's errno and extended-ack text are in the
    /// exception, whose <see cref="NetlinkException.Operation"/> names the operation's index and kind.
    /// </summary>
    /// <param name="transaction">The operations.</param>
    /// <param name="cancellationToken">Cancels the wait (the kernel may still commit).</param>
    /// <returns>A task.</returns>
    public async ValueTask NftApplyAsync(NftTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (transaction.Count == 0)
        {
            return;
        }

        NetlinkConnection connection = Netfilter;
        uint first = connection.ReserveSequences(transaction.Count + 2);
        int size = NftBatchInitialSize;
        while (true)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                int length;
                try
                {
                    length = BuildNftBatch(buffer, transaction, first);
                }
                catch (ArgumentException) when (size < 16 * 1024 * 1024)
                {
                    size *= 4;
                    continue;
                }

                await connection.TransactAsync(buffer.AsMemory(0, length), first, first + (uint)transaction.Count, DescribeBatch(transaction), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NetlinkException ex) when (ex.Errno != 0 && ex.Operation.Length > 0)
            {
                throw;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Lists nf_tables tables (NFT_MSG_GETTABLE dump).</summary>
    /// <param name="family">A family, or <see cref="NftFamily.Unspecified"/> for all.</param>
    /// <param name="cancellationToken">Cancels the dump.</param>
    /// <returns>The tables.</returns>
    public IAsyncEnumerable<NftTable> NftTablesAsync(NftFamily family = NftFamily.Unspecified, CancellationToken cancellationToken = default) =>
        Enumerate(ct => NftDumpAsync(NftablesCodec.GetTable, NftablesCodec.NewTable, family, null, null, m => NftablesCodec.DecodeTable(m), "nft list tables", ct), cancellationToken);

    /// <summary>Lists the chains of a table (or of all tables when <paramref name="table"/> is null).</summary>
    /// <param name="family">The family.</param>
    /// <param name="table">The table, or null.</param>
    /// <param name="cancellationToken">Cancels the dump.</param>
    /// <returns>The chains.</returns>
    public IAsyncEnumerable<NftChain> NftChainsAsync(NftFamily family, string? table = null, CancellationToken cancellationToken = default) =>
        Enumerate(ct => NftDumpAsync(NftablesCodec.GetChain, NftablesCodec.NewChain, family, table, null, m => NftablesCodec.DecodeChain(m), $"nft list chains {family} {table}", ct), cancellationToken);

    /// <summary>Lists rules in chain order with their handles (of one chain, one table, or everything).</summary>
    /// <param name="family">The family.</param>
    /// <param name="table">The table, or null for all tables.</param>
    /// <param name="chain">The chain, or null for all chains of the table.</param>
    /// <param name="cancellationToken">Cancels the dump.</param>
    /// <returns>The rules.</returns>
    public IAsyncEnumerable<NftRule> NftRulesAsync(NftFamily family, string? table = null, string? chain = null, CancellationToken cancellationToken = default)
    {
        if (chain is not null && table is null)
        {
            throw new ArgumentException("A chain filter needs its table.", nameof(table));
        }

        return Enumerate(ct => NftDumpAsync(NftablesCodec.GetRule, NftablesCodec.NewRule, family, table, chain, m => NftablesCodec.DecodeRule(m), $"nft list rules {family} {table} {chain}", ct), cancellationToken);
    }

    /// <summary>
    /// Subscribes to nf_tables notifications (NFNLGRP_NFTABLES) on a new socket in the client's
    /// namespace and yields them until cancelled: tables, chains and rules added or deleted by
    /// anyone, each transaction closed by an <see cref="NftGenerationNotification"/>. The
    /// subscription is active when this method returns. <see cref="NotificationsLost"/> means the
    /// socket overflowed: re-list and compare.
    /// </summary>
    /// <param name="cancellationToken">Ends the stream.</param>
    /// <returns>The notifications.</returns>
    public IAsyncEnumerable<NetlinkNotification> NftWatchAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        INetlinkTransport transport = OpenTransport(_options, NetlinkProtocol.Netfilter, [NftablesCodec.NotificationGroup], _logger);
        return WatchCoreAsync(transport, cancellationToken);
    }

    /// <summary>Writes a whole nf_tables batch (for tests and benchmarks: allocation-free when the transaction is built).</summary>
    /// <param name="writer">The destination.</param>
    /// <param name="transaction">The operations.</param>
    /// <param name="firstSequence">The sequence of BEGIN; operations follow it.</param>
    public static void WriteNftBatch(ref NetlinkMessageWriter writer, NftTransaction transaction, uint firstSequence)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        NftablesCodec.WriteBatch(ref writer, transaction.Operations, firstSequence);
    }

    internal static void DecodeNftNotification(NetlinkMessage message, List<NetlinkNotification> into)
    {
        if (message.Header.Type >> 8 != NftablesCodec.Subsystem)
        {
            return;
        }

        switch ((ushort)(message.Header.Type & 0xff))
        {
            case NftablesCodec.NewTable:
                into.Add(new NftTableNotification(NetlinkChangeKind.Added, NftablesCodec.DecodeTable(message)));
                break;
            case NftablesCodec.DelTable:
                into.Add(new NftTableNotification(NetlinkChangeKind.Removed, NftablesCodec.DecodeTable(message)));
                break;
            case NftablesCodec.NewChain:
                into.Add(new NftChainNotification(NetlinkChangeKind.Added, NftablesCodec.DecodeChain(message)));
                break;
            case NftablesCodec.DelChain:
                into.Add(new NftChainNotification(NetlinkChangeKind.Removed, NftablesCodec.DecodeChain(message)));
                break;
            case NftablesCodec.NewRule:
                into.Add(new NftRuleNotification(NetlinkChangeKind.Added, NftablesCodec.DecodeRule(message)));
                break;
            case NftablesCodec.DelRule:
                into.Add(new NftRuleNotification(NetlinkChangeKind.Removed, NftablesCodec.DecodeRule(message)));
                break;
            case NftablesCodec.NewGen:
                into.Add(NftablesCodec.DecodeGeneration(message));
                break;
            default:
                break;
        }
    }

    private static int BuildNftBatch(byte[] buffer, NftTransaction transaction, uint first)
    {
        var writer = new NetlinkMessageWriter(buffer);
        NftablesCodec.WriteBatch(ref writer, transaction.Operations, first);
        return writer.Length;
    }

    private static string DescribeBatch(NftTransaction transaction)
    {
        NftOperation op = transaction.Operations[0];
        return transaction.Count == 1
            ? $"nft {op.Kind} {op.Family} {op.Table} {op.Chain}".TrimEnd()
            : $"nft transaction of {transaction.Count} operations (first: {op.Kind} {op.Family} {op.Table} {op.Chain})";
    }

    private async ValueTask<List<T>> NftDumpAsync<T>(ushort get, ushort reply, NftFamily family, string? table, string? chain, Func<NetlinkMessage, T> decode, string operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(SmallRequest);
        var results = new List<T>();
        ushort replyType = NftablesCodec.MessageType(reply);
        try
        {
            var writer = new NetlinkMessageWriter(buffer);
            NftablesCodec.WriteDump(ref writer, get, family, table, chain, 0);
            int length = writer.Length;
            await Netfilter.DumpAsync(
                buffer.AsMemory(0, length),
                operation,
                message =>
                {
                    if (message.Header.Type == replyType)
                    {
                        results.Add(decode(message));
                    }
                },
                results.Clear,
                cancellationToken).ConfigureAwait(false);
        }
        catch (NetlinkException ex) when (ex.IsNotFound && table is not null)
        {
            return [];
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return results;
    }
}
