using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Subnets.Etcd.Internal;

namespace Overlay.Subnets.Etcd;

/// <summary>
/// An <see cref="ISubnetRegistry"/> kept in etcd (v3 API) exactly as flanneld keeps it, so that
/// Overlay nodes and flanneld nodes can share one etcd prefix: the network configuration at
/// <c>&lt;prefix&gt;/config</c>, each lease at <c>&lt;prefix&gt;/subnets/&lt;subnet key&gt;</c> with
/// flannel's <c>LeaseAttrs</c> JSON, attached to an etcd lease of <see cref="EtcdSubnetRegistryOptions.LeaseTtl"/>
/// (24 h), created with a <c>version(key) == 0</c> transaction. The allocation rules are those of
/// <see cref="LeaseStoreSubnetRegistry"/>.
/// </summary>
/// <remarks>
/// Deviations from flanneld: a renewal revokes the etcd lease it replaces; a key without an etcd
/// lease (a reservation) stays without one when its node renews it; a lost creation race is
/// retried; IPv6-only configurations are rejected; listing does not
/// look up every key's lease, so peers' <see cref="Lease.Expiration"/> is <see langword="null"/>;
/// malformed records are reported as <see cref="LeaseRecordError"/>s, never as removals; with
/// etcd unreachable, operations fail with a transient <see cref="SubnetRegistryException"/> after
/// the dial and request timeouts instead of hanging; a missing <c>&lt;prefix&gt;/config</c> is a
/// (transient) <see cref="NetworkConfigNotFoundException"/> whose <see cref="NetworkConfigNotFoundException.Location"/>
/// is the key.
/// <para>In a host, register it with <c>services.AddEtcdSubnetRegistry(o =&gt; …)</c>; seed the
/// configuration with <see cref="SetNetworkConfigAsync(NetworkConfig, bool, CancellationToken)"/>.</para>
/// </remarks>
public sealed class EtcdSubnetRegistry : LeaseStoreSubnetRegistry, IDisposable
{
    private readonly EtcdLeaseStore _store;

    /// <summary>Creates a registry; nothing is sent to etcd until the first operation.</summary>
    /// <exception cref="ArgumentException">The options are invalid, or the TLS files cannot be read.</exception>
    public EtcdSubnetRegistry(EtcdSubnetRegistryOptions options, ILoggerFactory? loggerFactory = null)
        : this(CreateStore(options, loggerFactory), options, loggerFactory)
    {
    }

    private EtcdSubnetRegistry(EtcdLeaseStore store, EtcdSubnetRegistryOptions options, ILoggerFactory? loggerFactory)
        : base(store, new SubnetRegistryOptions { LeaseTtl = options.LeaseTtl, MaxAcquireAttempts = options.MaxAcquireAttempts, Random = options.Random }, loggerFactory)
    {
        _store = store;
    }

    /// <summary>The key prefix in use (without a trailing slash).</summary>
    public string Prefix => _store.Prefix;

    /// <summary>The key of the network configuration, <c>&lt;prefix&gt;/config</c>.</summary>
    public string ConfigKey => _store.ConfigKey;

    /// <summary>The etcd key of <paramref name="lease"/>, <c>&lt;prefix&gt;/subnets/&lt;subnet key&gt;</c>.</summary>
    public string GetLeaseKey(Lease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return _store.LeaseKey(lease);
    }

    /// <summary>
    /// Writes the network configuration unless one is stored already (a configuration written by
    /// an operator or another node wins, as with flanneld). The same as
    /// <see cref="SetNetworkConfigAsync(NetworkConfig, bool, CancellationToken)"/> without overwriting.
    /// </summary>
    /// <param name="config">The configuration; written as <see cref="NetworkConfig.ToJson"/> gives it.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns><see langword="true"/> when written, <see langword="false"/> when a configuration existed.</returns>
    public ValueTask<bool> TryCreateNetworkConfigAsync(NetworkConfig config, CancellationToken cancellationToken = default) =>
        SetNetworkConfigAsync(config, overwrite: false, cancellationToken);

    /// <summary>
    /// Seeds the network configuration: writes <paramref name="config"/> to <see cref="ConfigKey"/>
    /// (<c>&lt;prefix&gt;/config</c>) in one etcd transaction — only when the key does not exist
    /// (<c>version(key) == 0</c>, so a configuration written by an operator or another node wins and
    /// concurrent seeders agree on one), or unconditionally with <paramref name="overwrite"/>. This is
    /// what <c>etcdctl put &lt;prefix&gt;/config '…'</c> does for flanneld; nodes pick the document
    /// up on their next <see cref="LeaseStoreSubnetRegistry.GetNetworkConfigAsync"/> (flanneld reads it
    /// at start and on every lease acquisition).
    /// </summary>
    /// <param name="config">The configuration; validated (flannel's rules, and IPv4 enabled, which
    /// this registry needs) and written as <see cref="NetworkConfig.ToJson"/> gives it.</param>
    /// <param name="overwrite">Replace a stored configuration instead of keeping it. Running nodes
    /// keep their leases; a lease that no longer fits is replaced when its node next acquires one.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns><see langword="true"/> when written; <see langword="false"/> when a configuration was
    /// stored already and <paramref name="overwrite"/> is <see langword="false"/> (it is left as it is).</returns>
    /// <exception cref="NetworkConfigException">The configuration is invalid; nothing is written.</exception>
    /// <exception cref="SubnetRegistryException">etcd refused the request or could not be reached.</exception>
    public async ValueTask<bool> SetNetworkConfigAsync(NetworkConfig config, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        _store.EnsureSupported(config.Validate());
        return await _store.SetNetworkConfigAsync(config.ToJson(), overwrite, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Seeds the network configuration from a net-conf.json document, stored byte for byte as given
    /// (as <c>etcdctl put</c> would), after checking that it parses and passes flannel's rules;
    /// otherwise as <see cref="SetNetworkConfigAsync(NetworkConfig, bool, CancellationToken)"/>.
    /// </summary>
    /// <param name="json">The document, for example <c>{"Network":"10.5.0.0/16","Backend":{"Type":"vxlan"}}</c>.</param>
    /// <param name="overwrite">Replace a stored configuration instead of keeping it.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns><see langword="true"/> when written; <see langword="false"/> when a configuration was
    /// stored already and <paramref name="overwrite"/> is <see langword="false"/>.</returns>
    /// <exception cref="NetworkConfigException">The document does not parse or is invalid; nothing is written.</exception>
    /// <exception cref="SubnetRegistryException">etcd refused the request or could not be reached.</exception>
    public async ValueTask<bool> SetNetworkConfigAsync(string json, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(json);
        _store.EnsureSupported(NetworkConfig.Parse(json).Validate());
        return await _store.SetNetworkConfigAsync(json, overwrite, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the current leases and the records that could not be read, in one request
    /// per 1,000 keys (no per-key lease lookups).</summary>
    public ValueTask<LeaseListing> ListLeasesAsync(CancellationToken cancellationToken = default) => Store.ListLeasesAsync(cancellationToken);

    /// <summary>Closes the connections to etcd. Running watches end with an error.</summary>
    public void Dispose() => _store.Dispose();

    /// <summary>For tests: a watch that starts at <paramref name="revision"/> without a snapshot.</summary>
    internal IAsyncEnumerable<LeaseEventBatch> WatchFromRevisionAsync(long revision, CancellationToken cancellationToken = default) =>
        _store.WatchAsync(revision, cancellationToken);

    private static EtcdLeaseStore CreateStore(EtcdSubnetRegistryOptions options, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new EtcdLeaseStore(options, loggerFactory ?? NullLoggerFactory.Instance);
    }
}
