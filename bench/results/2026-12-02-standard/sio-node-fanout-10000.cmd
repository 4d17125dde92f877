node client.js --servers http://127.0.0.1:40359,http://127.0.0.1:42231,http://127.0.0.1:45813 --spectators 10000 --repeats 20
