using System.Collections.Concurrent;
using Overlay.Lab.Internal;

namespace Overlay.Lab.Cloud;

/// <summary>
/// An EC2 instance metadata service (IMDS) double for one lab node on 127.0.0.1: IMDSv2 tokens
/// (<c>PUT /latest/api/token</c> with <c>X-aws-ec2-metadata-token-ttl-seconds</c>), and
/// <c>GET /latest/meta-data/{instance-id, placement/region, placement/availability-zone}</c>. With
/// <see cref="RequireToken"/> (an instance that requires IMDSv2) a GET without a valid token gets 401.
/// </summary>
public sealed class InstanceMetadataDouble : IAsyncDisposable
{
    private readonly LabHttpServer _server;
    private readonly ConcurrentDictionary<string, bool> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _requests = new();
    private (string Role, string Json)? _role;

    /// <summary>Starts the double.</summary>
    /// <param name="instanceId">The instance id it reports.</param>
    /// <param name="region">The region it reports (the availability zone is the region plus <c>a</c>).</param>
    public InstanceMetadataDouble(string instanceId, string region)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        InstanceId = instanceId;
        Region = region;
        _server = new LabHttpServer(HandleAsync);
    }

    /// <summary>The base URI (<c>http://127.0.0.1:port/</c>).</summary>
    public Uri Endpoint => _server.Endpoint;

    /// <summary>The instance id.</summary>
    public string InstanceId { get; }

    /// <summary>The region.</summary>
    public string Region { get; }

    /// <summary>Answer metadata GETs without a valid token with 401 (IMDSv2 required). Default false.</summary>
    public bool RequireToken { get; set; }

    /// <summary>Answer token PUTs with 403 (a service without IMDSv2). Default false.</summary>
    public bool RefuseTokens { get; set; }

    /// <summary>Gives the instance an IAM role whose temporary credentials metadata serves
    /// (<c>iam/security-credentials/</c> lists the role, <c>iam/security-credentials/ROLE</c> is the JSON document).</summary>
    /// <param name="role">The role name.</param>
    /// <param name="accessKeyId">The access key id.</param>
    /// <param name="secretAccessKey">The secret.</param>
    /// <param name="token">The session token.</param>
    /// <param name="expiration">When they expire.</param>
    public void SetRoleCredentials(string role, string accessKeyId, string secretAccessKey, string token, DateTimeOffset expiration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        _role = (role, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["Code"] = "Success",
            ["LastUpdated"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["Type"] = "AWS-HMAC",
            ["AccessKeyId"] = accessKeyId,
            ["SecretAccessKey"] = secretAccessKey,
            ["Token"] = token,
            ["Expiration"] = expiration.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        }, CredentialsJsonContext.Default.DictionaryStringString));
    }

    /// <summary>Every request as <c>METHOD path [token]</c>, in arrival order.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    private Task<LabHttpResponse> HandleAsync(LabHttpRequest request, CancellationToken cancellationToken)
    {
        string? token = request.Header("X-aws-ec2-metadata-token");
        _requests.Enqueue($"{request.Method} {request.Path}{(token is null ? string.Empty : " [token]")}");
        if (request.Method == "PUT" && request.Path == "/latest/api/token")
        {
            if (RefuseTokens)
            {
                return Task.FromResult(LabHttpResponse.Text(403, "Forbidden"));
            }

            if (request.Header("X-aws-ec2-metadata-token-ttl-seconds") is not { } ttl || !int.TryParse(ttl, out int seconds) || seconds is < 1 or > 21600)
            {
                return Task.FromResult(LabHttpResponse.Text(400, "Bad Request"));
            }

            string issued = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
            _tokens[issued] = true;
            return Task.FromResult(LabHttpResponse.Text(200, issued));
        }

        if (request.Method != "GET")
        {
            return Task.FromResult(LabHttpResponse.Text(405, "Method Not Allowed"));
        }

        bool valid = token is not null && _tokens.ContainsKey(token);
        if ((RequireToken && !valid) || (token is not null && !valid))
        {
            return Task.FromResult(LabHttpResponse.Text(401, "Unauthorized"));
        }

        string? value = request.Path switch
        {
            "/latest/meta-data/instance-id" => InstanceId,
            "/latest/meta-data/placement/region" => Region,
            "/latest/meta-data/placement/availability-zone" => Region + "a",
            "/latest/meta-data/iam/security-credentials/" when _role is { } r => r.Role,
            _ when _role is { } r && request.Path == "/latest/meta-data/iam/security-credentials/" + r.Role => r.Json,
            _ => null,
        };
        return Task.FromResult(value is null ? LabHttpResponse.Text(404, "Not Found") : LabHttpResponse.Text(200, value));
    }

    /// <summary>Stops the double.</summary>
    /// <returns>A task.</returns>
    public ValueTask DisposeAsync() => _server.DisposeAsync();

    /// <inheritdoc />
    public override string ToString() => $"IMDS double {InstanceId} at {Endpoint}";
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class CredentialsJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
