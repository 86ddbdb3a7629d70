using System.Collections.Immutable;
using System.Net;
using System.Runtime.CompilerServices;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mvccpb;

namespace Overlay.Subnets.Etcd.Internal;

/// <summary>
/// The <see cref="ILeaseStore"/> over etcd v3, in flannel's layout (spec §2.3): the configuration
/// at <c>&lt;prefix&gt;/config</c>, one key per lease at <c>&lt;prefix&gt;/subnets/&lt;subnet key&gt;</c>
/// holding the <c>LeaseAttrs</c> JSON and attached to an etcd lease; a key without an etcd lease is
/// a reservation. Listing reads keys and values only (no per-key lease lookup), so peers'
/// expirations are unknown (<see langword="null"/>).
/// </summary>
internal sealed class EtcdLeaseStore : ILeaseStore, IDisposable
{
    internal const int PageSize = 1000;
    private static readonly TimeSpan InitialRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly EtcdConnection _connection;
    private readonly ILogger _logger;
    private readonly ILogger _configLogger;
    private readonly TimeProvider _time;
    private readonly ByteString _configKey;
    private readonly ByteString _subnetsPrefix;
    private readonly ByteString _subnetsRangeEnd;

    public EtcdLeaseStore(EtcdSubnetRegistryOptions options, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null)
    {
        _logger = loggerFactory.CreateLogger("Overlay.Subnets.Etcd");
        _configLogger = loggerFactory.CreateLogger("Overlay.Subnets.NetworkConfig");
        _time = timeProvider ?? TimeProvider.System;
        Prefix = options.NormalizedPrefix;
        ConfigKey = Prefix + "/config";
        SubnetsPrefix = Prefix + "/subnets";
        _configKey = ByteString.CopyFromUtf8(ConfigKey);
        _subnetsPrefix = ByteString.CopyFromUtf8(SubnetsPrefix);
        _subnetsRangeEnd = RangeEnd(_subnetsPrefix);
        _connection = new EtcdConnection(options, _logger);
    }

    public string Prefix { get; }

    /// <summary><c>&lt;prefix&gt;/config</c>.</summary>
    public string ConfigKey { get; }

    /// <summary><c>&lt;prefix&gt;/subnets</c>: the string prefix flannel lists and watches (no trailing slash).</summary>
    public string SubnetsPrefix { get; }

    public string LeaseKey(Lease lease) => SubnetsPrefix + "/" + lease.Key;

    public async ValueTask<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken = default)
    {
        RangeResponse response = await _connection.CallAsync("read the network configuration",
            (e, o) => e.KV.RangeAsync(new RangeRequest { Key = _configKey }, o), cancellationToken).ConfigureAwait(false);
        if (response.Kvs.Count == 0)
        {
            Log.ConfigNotFound(_logger, ConfigKey);
            throw new NetworkConfigNotFoundException(ConfigKey,
                $"flannel config not found in etcd store: there is no key {ConfigKey}. Did you create your config using etcdv3 API? " +
                $"For example: etcdctl put {ConfigKey} '{{\"Network\":\"10.5.0.0/16\",\"Backend\":{{\"Type\":\"vxlan\"}}}}'");
        }

        return EnsureSupported(NetworkConfig.Parse(response.Kvs[0].Value.Span, _configLogger));
    }

    /// <summary>Rejects what the etcd registry cannot serve (IPv6-only networks, Q8).</summary>
    public NetworkConfig EnsureSupported(NetworkConfig config)
    {
        if (!config.EnableIPv4)
        {
            throw new NetworkConfigException("EnableIPv4",
                $"IPv6-only networks (EnableIPv4 false) are not supported with the etcd registry: flannel's etcd keys and node identity " +
                $"need IPv4, and flanneld itself cannot allocate such a network (it would give every node the key 0.0.0.0-0). " +
                $"Use dual stack (EnableIPv4 and EnableIPv6 true), or the Kubernetes or in-memory registry. Key: {ConfigKey}");
        }

        return config;
    }

    /// <summary>
    /// Writes <c>&lt;prefix&gt;/config</c> in one transaction: only if the key does not exist
    /// (<c>version(key) == 0</c>) unless <paramref name="overwrite"/>.
    /// </summary>
    /// <returns><see langword="false"/> when the key existed and was left alone.</returns>
    public async ValueTask<bool> SetNetworkConfigAsync(string json, bool overwrite, CancellationToken cancellationToken)
    {
        var txn = new TxnRequest();
        if (!overwrite)
        {
            txn.Compare.Add(new Compare { Key = _configKey, Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal, Version = 0 });
        }

        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = _configKey, Value = ByteString.CopyFromUtf8(json) } });
        TxnResponse response = await _connection.CallAsync("write the network configuration", (e, o) => e.KV.TxnAsync(txn, o), cancellationToken).ConfigureAwait(false);
        return response.Succeeded;
    }

    public async ValueTask<LeaseListing> ListLeasesAsync(CancellationToken cancellationToken = default)
    {
        LeaseListing listing = await ListAsync(cancellationToken).ConfigureAwait(false);
        foreach (LeaseRecordError error in listing.Errors)
        {
            Log.MalformedRecordSkipped(_logger, error.Key, error.Reason);
        }

        return listing;
    }

    public async ValueTask<Lease?> CreateLeaseAsync(Lease lease, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ByteString key = ByteString.CopyFromUtf8(LeaseKey(lease));
        ByteString value = ByteString.CopyFrom(lease.Attributes.ToUtf8Json());
        LeaseGrantResponse grant = await GrantAsync(ttl, cancellationToken).ConfigureAwait(false);
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = key, Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal, Version = 0 });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = value, Lease = grant.ID } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = key } });
        TxnResponse response;
        try
        {
            response = await _connection.CallAsync("create a lease", (e, o) => e.KV.TxnAsync(txn, o), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await RevokeQuietlyAsync(grant.ID).ConfigureAwait(false);
            throw;
        }

        // A retried transaction whose first attempt did succeed finds its own etcd lease on the key.
        bool created = response.Succeeded
            || response.Responses.FirstOrDefault()?.ResponseRange?.Kvs.FirstOrDefault()?.Lease == grant.ID;
        if (!created)
        {
            await RevokeQuietlyAsync(grant.ID).ConfigureAwait(false);
            return null;
        }

        // A dual-stack key names both subnets, so the version(key) == 0 compare cannot stop another node from
        // creating a different key that shares one of our subnets at the same moment (flannel has the same hole).
        // Settle it after the fact: of two keys sharing a subnet, the one created later backs off (revoking its
        // etcd lease deletes its key) and the caller lists and chooses again.
        if (lease.IPv6Subnet is not null)
        {
            long ourRevision = response.Succeeded
                ? response.Header.Revision
                : response.Responses[0].ResponseRange.Kvs[0].CreateRevision;
            if (await SharesSubnetWithOlderKeyAsync(lease, key, ourRevision, cancellationToken).ConfigureAwait(false))
            {
                await RevokeQuietlyAsync(grant.ID).ConfigureAwait(false);
                return null;
            }
        }

        return lease with { Expiration = _time.GetUtcNow() + TimeSpan.FromSeconds(grant.TTL), IsReservation = false };
    }

    /// <summary>True when a key other than <paramref name="ourKey"/>, created before <paramref name="ourRevision"/>,
    /// holds a subnet overlapping one of <paramref name="lease"/>'s.</summary>
    private async ValueTask<bool> SharesSubnetWithOlderKeyAsync(Lease lease, ByteString ourKey, long ourRevision, CancellationToken cancellationToken)
    {
        var request = new RangeRequest { Key = _subnetsPrefix, RangeEnd = _subnetsRangeEnd, KeysOnly = true };
        RangeResponse keys = await _connection.CallAsync("check the new lease's subnets", (e, o) => e.KV.RangeAsync(request, o), cancellationToken).ConfigureAwait(false);
        foreach (KeyValue kv in keys.Kvs)
        {
            if (kv.Key == ourKey || kv.CreateRevision >= ourRevision
                || !SubnetKey.TryParse(kv.Key.ToStringUtf8(), out IPNetwork? subnet, out IPNetwork? ipv6Subnet))
            {
                continue;
            }

            if ((subnet is { } s4 && lease.Overlaps(s4)) || (ipv6Subnet is { } s6 && lease.Overlaps(s6)))
            {
                return true;
            }
        }

        return false;
    }

    public async ValueTask<Lease?> UpdateLeaseAsync(Lease lease, TimeSpan? ttl, CancellationToken cancellationToken = default)
    {
        ByteString key = ByteString.CopyFromUtf8(LeaseKey(lease));
        ByteString value = ByteString.CopyFrom(lease.Attributes.ToUtf8Json());
        for (int attempt = 1; attempt <= 5; attempt++)
        {
            RangeResponse current = await _connection.CallAsync("read a lease",
                (e, o) => e.KV.RangeAsync(new RangeRequest { Key = key }, o), cancellationToken).ConfigureAwait(false);
            if (current.Kvs.Count == 0)
            {
                return null;
            }

            KeyValue kv = current.Kvs[0];
            if (!Lease.TryDecodeRecord(kv.Key.ToStringUtf8(), kv.Value.Span, null, kv.Lease == 0, out Lease? stored, out _)
                || !SameIdentity(stored.Attributes, lease.Attributes))
            {
                return null;
            }

            // A reservation (no etcd lease) stays one (spec §2.8, Q3 deviation).
            bool reservation = ttl is null || kv.Lease == 0;
            LeaseGrantResponse? grant = reservation ? null : await GrantAsync(ttl!.Value, cancellationToken).ConfigureAwait(false);
            var txn = new TxnRequest();
            txn.Compare.Add(new Compare { Key = key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = kv.ModRevision });
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = value, Lease = grant?.ID ?? 0 } });
            txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = key } });
            TxnResponse response;
            try
            {
                response = await _connection.CallAsync("renew a lease", (e, o) => e.KV.TxnAsync(txn, o), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                if (grant is not null)
                {
                    await RevokeQuietlyAsync(grant.ID).ConfigureAwait(false);
                }

                throw;
            }

            bool written = response.Succeeded
                || (grant is not null && response.Responses.FirstOrDefault()?.ResponseRange?.Kvs.FirstOrDefault()?.Lease == grant.ID);
            if (!written)
            {
                if (grant is not null)
                {
                    await RevokeQuietlyAsync(grant.ID).ConfigureAwait(false);
                }

                continue; // changed under us: read again
            }

            // flannel never revokes the previous etcd lease (Q4); the key no longer uses it.
            if (kv.Lease != 0)
            {
                await RevokeQuietlyAsync(kv.Lease).ConfigureAwait(false);
            }

            return lease with
            {
                Expiration = grant is null ? null : _time.GetUtcNow() + TimeSpan.FromSeconds(grant.TTL),
                IsReservation = reservation,
            };
        }

        throw new SubnetRegistryException($"Lease {lease.Key} kept changing while it was being renewed; try again.", isTransient: true);
    }

    public async ValueTask<bool> DeleteLeaseAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        ByteString key = ByteString.CopyFromUtf8(LeaseKey(lease));
        DeleteRangeResponse response = await _connection.CallAsync("delete a lease",
            (e, o) => e.KV.DeleteRangeAsync(new DeleteRangeRequest { Key = key, PrevKv = true }, o), cancellationToken).ConfigureAwait(false);
        foreach (KeyValue previous in response.PrevKvs)
        {
            if (previous.Lease != 0)
            {
                await RevokeQuietlyAsync(previous.Lease).ConfigureAwait(false);
            }
        }

        return response.Deleted > 0;
    }

    public IAsyncEnumerable<LeaseEventBatch> WatchLeasesAsync(CancellationToken cancellationToken = default) =>
        WatchAsync(startRevision: null, cancellationToken);

    /// <summary>
    /// The watch: a snapshot at revision R (unless <paramref name="startRevision"/> is given, for
    /// tests), then changes from R + 1 with "require leader"; after an interruption it resumes from
    /// the revision after the last event seen; when that revision has been compacted it lists all
    /// leases again and delivers a new snapshot.
    /// </summary>
    internal async IAsyncEnumerable<LeaseEventBatch> WatchAsync(long? startRevision, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long next;
        if (startRevision is { } start)
        {
            next = start;
        }
        else
        {
            LeaseListing listing = await ListAsync(cancellationToken).ConfigureAwait(false);
            yield return SnapshotBatch(listing);
            next = listing.Revision + 1;
        }

        TimeSpan delay = InitialRetryDelay;
        bool interrupted = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (AsyncDuplexStreamingCall<WatchRequest, WatchResponse>? call, EtcdEndpoint? endpoint, WatchResponse? first, Exception? failure) =
                await OpenAsync(next, cancellationToken).ConfigureAwait(false);
            long compactRevision = 0;
            if (call is not null)
            {
                using (call)
                {
                    while (true)
                    {
                        (WatchResponse? response, Exception? error) = first is not null
                            ? (first, null)
                            : await ReadAsync(call, cancellationToken).ConfigureAwait(false);
                        first = null;
                        if (error is not null || response is null)
                        {
                            failure = error ?? new IOException("etcd closed the watch stream.");
                            break;
                        }

                        if (response.CompactRevision != 0)
                        {
                            compactRevision = response.CompactRevision;
                            break;
                        }

                        if (response.Canceled)
                        {
                            failure = new IOException($"etcd cancelled the watch: {response.CancelReason}");
                            break;
                        }

                        if (interrupted)
                        {
                            interrupted = false;
                            Log.WatchResumed(_logger, endpoint!.Address, next);
                        }

                        delay = InitialRetryDelay;
                        LeaseEventBatch? batch = Convert(response, ref next);
                        if (batch is not null)
                        {
                            yield return batch;
                        }
                    }
                }
            }

            if (compactRevision != 0)
            {
                Log.WatchCompacted(_logger, compactRevision, next);
                LeaseListing listing = await RelistAsync(cancellationToken).ConfigureAwait(false);
                yield return SnapshotBatch(listing);
                next = listing.Revision + 1;
                delay = InitialRetryDelay;
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(_connection.IsDisposed, this); // the registry was disposed: the watch ends
            if (endpoint is not null && failure is not null)
            {
                _connection.ReportWatchFailure(endpoint, failure);
            }

            Log.WatchInterrupted(_logger, endpoint?.Address ?? _connection.EndpointList, next, delay, failure);
            interrupted = true;
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    public void Dispose() => _connection.Dispose();

    /// <summary>
    /// Opens a watch stream from <paramref name="revision"/> and reads etcd's first response (the
    /// confirmation, or the compaction notice). That phase has the request timeout: a stream that
    /// never gets going (a half-open connection) is abandoned and retried instead of waited on.
    /// </summary>
    private async Task<(AsyncDuplexStreamingCall<WatchRequest, WatchResponse>?, EtcdEndpoint?, WatchResponse?, Exception?)> OpenAsync(long revision, CancellationToken cancellationToken)
    {
        AsyncDuplexStreamingCall<WatchRequest, WatchResponse>? call = null;
        EtcdEndpoint? endpoint = null;
        using var opening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        opening.CancelAfter(_connection.RequestTimeout);
        try
        {
            (call, endpoint) = await _connection.OpenWatchAsync(cancellationToken).ConfigureAwait(false);
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest { Key = _subnetsPrefix, RangeEnd = _subnetsRangeEnd, StartRevision = revision },
            }, opening.Token).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(opening.Token).ConfigureAwait(false))
            {
                throw new IOException("etcd closed the watch stream before confirming it.");
            }

            return (call, endpoint, call.ResponseStream.Current, null);
        }
        catch (Exception ex)
        {
            call?.Dispose();
            cancellationToken.ThrowIfCancellationRequested(); // the caller's cancellation ends the watch
            Exception failure = opening.IsCancellationRequested
                ? new TimeoutException($"etcd did not confirm the watch within {_connection.RequestTimeout}.", ex)
                : ex;
            return (null, endpoint, null, failure);
        }
    }

    private static async Task<(WatchResponse?, Exception?)> ReadAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false)
                ? (call.ResponseStream.Current, null)
                : (null, null);
        }
        catch (Exception ex)
        {
            cancellationToken.ThrowIfCancellationRequested(); // a cancellation that is not the caller's (disposal) is a failure
            return (null, ex);
        }
    }

    private async Task<LeaseListing> RelistAsync(CancellationToken cancellationToken)
    {
        TimeSpan delay = InitialRetryDelay;
        while (true)
        {
            try
            {
                return await ListAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SubnetRegistryException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                Log.WatchInterrupted(_logger, _connection.EndpointList, 0, delay, ex);
            }

            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    /// <summary>Lists all records under the subnets prefix at one revision, in pages.</summary>
    private async Task<LeaseListing> ListAsync(CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            var leases = ImmutableArray.CreateBuilder<Lease>();
            var errors = ImmutableArray.CreateBuilder<LeaseRecordError>();
            long revision = 0;
            ByteString from = _subnetsPrefix;
            try
            {
                while (true)
                {
                    var request = new RangeRequest { Key = from, RangeEnd = _subnetsRangeEnd, Limit = PageSize, Revision = revision };
                    RangeResponse page = await _connection.CallAsync("list leases", (e, o) => e.KV.RangeAsync(request, o), cancellationToken).ConfigureAwait(false);
                    if (revision == 0)
                    {
                        revision = page.Header.Revision;
                    }

                    foreach (KeyValue kv in page.Kvs)
                    {
                        if (Lease.TryDecodeRecord(kv.Key.ToStringUtf8(), kv.Value.Span, null, kv.Lease == 0, out Lease? lease, out LeaseRecordError? error))
                        {
                            leases.Add(lease);
                        }
                        else
                        {
                            errors.Add(error);
                        }
                    }

                    if (!page.More || page.Kvs.Count == 0)
                    {
                        break;
                    }

                    byte[] last = page.Kvs[^1].Key.ToByteArray();
                    from = ByteString.CopyFrom([.. last, 0]);
                }
            }
            catch (SubnetRegistryException ex) when (attempt < 3 && ex.InnerException is RpcException { StatusCode: StatusCode.OutOfRange })
            {
                continue; // the pinned revision was compacted between pages: start over
            }

            return new LeaseListing(leases.ToImmutable(), errors.ToImmutable(), revision);
        }
    }

    private static LeaseEventBatch SnapshotBatch(LeaseListing listing) =>
        LeaseEventBatch.Snapshot(listing.Leases) with { Errors = listing.Errors };

    private static LeaseEventBatch? Convert(WatchResponse response, ref long next)
    {
        if (response.Events.Count == 0)
        {
            return null;
        }

        var events = ImmutableArray.CreateBuilder<LeaseEvent>(response.Events.Count);
        var errors = ImmutableArray.CreateBuilder<LeaseRecordError>();
        foreach (Event e in response.Events)
        {
            KeyValue kv = e.Kv;
            next = Math.Max(next, kv.ModRevision + 1);
            string key = kv.Key.ToStringUtf8();
            if (e.Type == Event.Types.EventType.Put)
            {
                if (Lease.TryDecodeRecord(key, kv.Value.Span, null, kv.Lease == 0, out Lease? lease, out LeaseRecordError? error))
                {
                    events.Add(new LeaseEvent(LeaseEventKind.Added, lease));
                }
                else
                {
                    errors.Add(error);
                }
            }
            else if (SubnetKey.TryParse(key, out IPNetwork? subnet, out IPNetwork? ipv6Subnet))
            {
                events.Add(new LeaseEvent(LeaseEventKind.Removed, new Lease(subnet, ipv6Subnet, new LeaseAttributes(), null)));
            }
            else
            {
                errors.Add(new LeaseRecordError(key, "the deleted key does not end in a subnet key"));
            }
        }

        return new LeaseEventBatch(events.ToImmutable(), IsSnapshot: false) { Errors = errors.ToImmutable() };
    }

    private async Task<LeaseGrantResponse> GrantAsync(TimeSpan ttl, CancellationToken cancellationToken)
    {
        long seconds = Math.Max(1, (long)Math.Ceiling(ttl.TotalSeconds));
        LeaseGrantResponse grant = await _connection.CallAsync("grant an etcd lease",
            (e, o) => e.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = seconds }, o), cancellationToken).ConfigureAwait(false);
        return string.IsNullOrEmpty(grant.Error)
            ? grant
            : throw new SubnetRegistryException($"etcd refused to grant a lease of {seconds} s: {grant.Error}", isTransient: true);
    }

    private async Task RevokeQuietlyAsync(long leaseId)
    {
        try
        {
            await _connection.CallAsync("revoke an etcd lease",
                (e, o) => e.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = leaseId }, o), CancellationToken.None).ConfigureAwait(false);
        }
        catch (SubnetRegistryException ex)
        {
            Log.LeaseRevokeFailed(_logger, leaseId, ex); // e.g. already expired: harmless
        }
    }

    private static bool SameIdentity(LeaseAttributes stored, LeaseAttributes update) =>
        stored.PublicIP is not null || update.PublicIP is not null
            ? Equals(stored.PublicIP, update.PublicIP)
            : Equals(stored.PublicIPv6, update.PublicIPv6);

    /// <summary>etcd's prefix range end: the prefix with its last byte incremented.</summary>
    internal static ByteString RangeEnd(ByteString prefix)
    {
        byte[] end = prefix.ToByteArray();
        for (int i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return ByteString.CopyFrom(end.AsSpan(0, i + 1));
            }
        }

        return ByteString.CopyFrom([0]);
    }
}
