using System.Net.Http;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace Overlay.Subnets.Etcd.Internal;

/// <summary>One etcd endpoint: its channel and the etcd v3 service clients over it.</summary>
internal sealed class EtcdEndpoint(string address, GrpcChannel channel, CallInvoker invoker)
{
    public string Address { get; } = address;

    public GrpcChannel Channel { get; } = channel;

    public KV.KVClient KV { get; } = new(invoker);

    public Etcdserverpb.Lease.LeaseClient Lease { get; } = new(invoker);

    public Watch.WatchClient Watch { get; } = new(invoker);

    public Auth.AuthClient Auth { get; } = new(invoker);
}

/// <summary>
/// The endpoints, the failover between them, authentication tokens, deadlines and the mapping of
/// gRPC failures to <see cref="SubnetRegistryException"/>. A request goes to the endpoint that
/// answered last; when it does not answer (connection refused, dial or request timeout, no leader)
/// the next one is tried; when none answers the request fails with a transient error that names
/// what it was waiting for.
/// </summary>
internal sealed class EtcdConnection : IDisposable
{
    private readonly EtcdEndpoint[] _endpoints;
    private readonly EtcdSubnetRegistryOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _authLock = new(1, 1);
    private volatile string? _token;
    private volatile bool _disposed;
    private int _current;

    public EtcdConnection(EtcdSubnetRegistryOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        X509Certificate2? clientCertificate = LoadClientCertificate(options);
        X509Certificate2Collection? authorities = LoadAuthorities(options);
        var endpoints = new List<EtcdEndpoint>();
        foreach (string address in options.EffectiveEndpoints)
        {
            var uri = new Uri(address);
            if (uri.Scheme == Uri.UriSchemeHttp)
            {
                Log.InsecureEndpoint(logger, address);
            }

            var handler = new SocketsHttpHandler
            {
                ConnectTimeout = options.DialTimeout,
                KeepAlivePingDelay = TimeSpan.FromSeconds(10),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                EnableMultipleHttp2Connections = true,
            };
            if (uri.Scheme == Uri.UriSchemeHttps)
            {
                handler.SslOptions = new SslClientAuthenticationOptions
                {
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
                    RemoteCertificateValidationCallback = authorities is null ? null : (_, certificate, _, errors) => Validate(certificate, errors, authorities),
                };
            }

            GrpcChannel channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions
            {
                HttpHandler = handler,
                DisposeHttpClient = true,
                ThrowOperationCanceledOnCancellation = true,
                MaxReceiveMessageSize = 64 * 1024 * 1024,
                // Reconnect soon after etcd returns (the default backoff grows to two minutes).
                InitialReconnectBackoff = TimeSpan.FromMilliseconds(100),
                MaxReconnectBackoff = TimeSpan.FromSeconds(2),
            });
            CallInvoker invoker = options.Interceptors.Count == 0 ? channel.CreateCallInvoker() : channel.Intercept([.. options.Interceptors]);
            endpoints.Add(new EtcdEndpoint(address, channel, invoker));
        }

        _endpoints = [.. endpoints];
    }

    public string EndpointList => string.Join(", ", _endpoints.Select(e => e.Address));

    public TimeSpan RequestTimeout => _options.RequestTimeout;

    public bool IsDisposed => _disposed;

    /// <summary>Runs one unary request, failing over between endpoints.</summary>
    public async Task<T> CallAsync<T>(string operation, Func<EtcdEndpoint, CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var failures = new List<string>();
        int start = Volatile.Read(ref _current);
        for (int i = 0; i < _endpoints.Length; i++)
        {
            int index = (start + i) % _endpoints.Length;
            EtcdEndpoint endpoint = _endpoints[index];
            for (int authAttempt = 0; ; authAttempt++)
            {
                try
                {
                    Metadata headers = await HeadersAsync(endpoint, requireLeader: false, cancellationToken).ConfigureAwait(false);
                    var options = new CallOptions(headers, DateTime.UtcNow + _options.RequestTimeout, cancellationToken);
                    T result = await call(endpoint, options).ResponseAsync.ConfigureAwait(false);
                    Volatile.Write(ref _current, index);
                    return result;
                }
                catch (RpcException ex) when (IsExpiredToken(ex) && authAttempt == 0 && _options.Username is not null)
                {
                    _token = null; // the token expired: authenticate again once
                }
                catch (Exception ex) when (IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
                {
                    string status = Describe(ex);
                    Log.EndpointFailed(_logger, endpoint.Address, operation, status);
                    failures.Add($"{endpoint.Address}: {status}");
                    break;
                }
                catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    throw Translate(operation, ex);
                }
                catch (RpcException ex)
                {
                    throw new OperationCanceledException($"'{operation}' was cancelled.", ex, cancellationToken);
                }
            }
        }

        Volatile.Write(ref _current, (start + 1) % _endpoints.Length);
        Log.EtcdUnreachable(_logger, EndpointList, operation);
        throw new SubnetRegistryException(
            $"etcd is unreachable: '{operation}' failed at every endpoint ({string.Join("; ", failures)}). " +
            "Retry with back-off; the operation succeeds once etcd answers.", isTransient: true);
    }

    /// <summary>Opens a watch stream on the current endpoint, with etcd's "require leader" metadata.</summary>
    public async Task<(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> Call, EtcdEndpoint Endpoint)> OpenWatchAsync(CancellationToken cancellationToken)
    {
        EtcdEndpoint endpoint = _endpoints[Volatile.Read(ref _current) % _endpoints.Length];
        Metadata headers = await HeadersAsync(endpoint, requireLeader: true, cancellationToken).ConfigureAwait(false);
        return (endpoint.Watch.Watch(new CallOptions(headers, deadline: null, cancellationToken)), endpoint);
    }

    /// <summary>A watch on <paramref name="endpoint"/> failed: move on to the next endpoint, and drop an expired token.</summary>
    public void ReportWatchFailure(EtcdEndpoint endpoint, Exception exception)
    {
        if (exception is RpcException rpc && IsExpiredToken(rpc))
        {
            _token = null;
            return;
        }

        int index = Array.IndexOf(_endpoints, endpoint);
        if (index >= 0 && _endpoints.Length > 1)
        {
            Interlocked.CompareExchange(ref _current, (index + 1) % _endpoints.Length, index);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (EtcdEndpoint endpoint in _endpoints)
        {
            endpoint.Channel.Dispose();
        }

    }

    internal static bool IsUnavailable(Exception exception) => exception switch
    {
        RpcException rpc => rpc.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal
            or StatusCode.Unknown or StatusCode.Aborted or StatusCode.Cancelled,
        HttpRequestException or IOException or TimeoutException => true,
        _ => false,
    };

    internal static string Describe(Exception exception) => exception switch
    {
        RpcException rpc => string.IsNullOrEmpty(rpc.Status.Detail) ? rpc.StatusCode.ToString() : $"{rpc.StatusCode}: {rpc.Status.Detail}",
        _ => exception.Message,
    };

    private static bool IsExpiredToken(RpcException exception) =>
        exception.StatusCode == StatusCode.Unauthenticated && exception.Status.Detail.Contains("invalid auth token", StringComparison.Ordinal);

    private static SubnetRegistryException Translate(string operation, RpcException exception)
    {
        string detail = Describe(exception);
        return exception.StatusCode switch
        {
            StatusCode.Unauthenticated or StatusCode.PermissionDenied =>
                new SubnetRegistryException($"etcd refused '{operation}' ({detail}); check the etcd user name, password, certificates and role permissions.", isTransient: false, exception),
            StatusCode.ResourceExhausted =>
                new SubnetRegistryException($"etcd refused '{operation}' ({detail}).", isTransient: true, exception),
            _ => new SubnetRegistryException($"etcd refused '{operation}' ({detail}).", isTransient: false, exception),
        };
    }

    private async ValueTask<Metadata> HeadersAsync(EtcdEndpoint endpoint, bool requireLeader, CancellationToken cancellationToken)
    {
        var headers = new Metadata();
        if (requireLeader)
        {
            headers.Add("hasleader", "true"); // clientv3.WithRequireLeader
        }

        if (_options.Username is { } username)
        {
            string? token = _token;
            if (token is null)
            {
                await _authLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    token = _token;
                    if (token is null)
                    {
                        AuthenticateResponse response;
                        try
                        {
                            response = await endpoint.Auth.AuthenticateAsync(
                                new AuthenticateRequest { Name = username, Password = _options.Password ?? string.Empty },
                                new CallOptions(deadline: DateTime.UtcNow + _options.RequestTimeout, cancellationToken: cancellationToken)).ResponseAsync.ConfigureAwait(false);
                        }
                        catch (RpcException ex) when (!IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
                        {
                            throw new SubnetRegistryException(
                                $"etcd at {endpoint.Address} did not accept user '{username}' ({Describe(ex)}); check the etcd user name, password and role permissions.",
                                isTransient: false, ex);
                        }

                        _token = token = response.Token;
                        Log.Authenticated(_logger, endpoint.Address, username);
                    }
                }
                finally
                {
                    _authLock.Release();
                }
            }

            headers.Add("token", token);
        }

        return headers;
    }

    private static X509Certificate2? LoadClientCertificate(EtcdSubnetRegistryOptions options)
    {
        if (options.CertificateFile is null || options.KeyFile is null)
        {
            return null;
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(options.CertificateFile, options.KeyFile);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            // The inner exception is left out: it may quote what it could not parse.
            throw new ArgumentException(
                $"Cannot load the etcd client certificate '{options.CertificateFile}' with the key file '{options.KeyFile}': {ex.GetType().Name}.", nameof(options));
        }
    }

    private static X509Certificate2Collection? LoadAuthorities(EtcdSubnetRegistryOptions options)
    {
        if (options.CaFile is null)
        {
            return null;
        }

        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(options.CaFile);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"Cannot load the etcd CA file '{options.CaFile}': {ex.GetType().Name}.", nameof(options));
        }

        return authorities.Count == 0
            ? throw new ArgumentException($"The etcd CA file '{options.CaFile}' holds no certificate.", nameof(options))
            : authorities;
    }

    private static bool Validate(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using X509Certificate2 server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(server);
    }
}
